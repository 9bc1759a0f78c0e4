/**
 * The browser's side of file transfers: uploads by XMLHttpRequest (fetch reports no upload
 * progress without streaming bodies, which need HTTP/2), and downloads saved through an
 * object URL, since the files API wants the client's auth and a plain link cannot carry it.
 */
import type { UploadedFile } from "../state/attachments.js";
import type { FileApi } from "../state/files.js";
import type { FileLike, UploadFailure, UploadOutcome, UploadTransport } from "../state/uploads.js";

interface Answer {
  status: number;
  text: string;
}

function post(url: string, headers: Record<string, string>, file: FileLike, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    // The multipart body is a little bigger than the file: progress is scaled to the file.
    xhr.upload.onprogress = (e) => onProgress(e.lengthComputable && e.total > 0 ? Math.floor((e.loaded / e.total) * file.size) : e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
    xhr.onerror = () => resolve({ status: 0, text: "" });
    xhr.onabort = () => resolve({ status: 0, text: "" });
    xhr.ontimeout = () => resolve({ status: 0, text: "" });
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `POST /api/rooms/:room/uploads` with the client's auth; a 401 asks the page for a fresh token once. */
export function xhrTransport(api: FileApi): UploadTransport {
  return {
    async upload(room, file, onProgress, signal): Promise<UploadOutcome> {
      for (let attempt = 0; ; attempt++) {
        const { url, headers } = api.request(api.uploadPath(room));
        const answer = await post(url, headers, file, onProgress, signal);
        const body = parse(answer.text) as (UploadedFile & { error?: undefined }) | { error?: Partial<UploadFailure> } | undefined;
        if (answer.status >= 200 && answer.status < 300 && body && "id" in body && typeof body.id === "string") {
          return { ok: true, file: body };
        }
        if (answer.status === 401 && attempt === 0 && (await api.renewAfter401())) continue;
        const err = body?.error ?? {};
        return { ok: false, failure: { ...err, status: answer.status } };
      }
    },
  };
}

/** Fetches a file with the client's auth and hands it to the browser's downloads as `name`. */
export async function download(api: FileApi, path: string, name: string): Promise<void> {
  const blob = await api.blob(path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once it starts; the URL only has to outlive the click.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
