/**
 * What the views need for files, one set per sign-in: the authenticated file API, the
 * shared object URLs of shown images, and the upload trays. Message rows reach it through
 * a context, so the lists between the app and the rows do not have to pass it along.
 */
import { createContext } from "preact";
import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import type { ChatClient } from "../state/chat.js";
import { FileApi, fileErrorText, ObjectUrls } from "../state/files.js";
import { Uploads } from "../state/uploads.js";
import { pageTokenSource } from "./session.js";
import { xhrTransport } from "./transfer.js";

export interface FilesKit {
  api: FileApi;
  urls: ObjectUrls;
  uploads: Uploads;
}

export const FilesContext = createContext<FilesKit | undefined>(undefined);

export function useFiles(): FilesKit | undefined {
  return useContext(FilesContext);
}

/** The kit of `chat`, re-rendering the caller when a tray changes; uploads stop and URLs go with it. */
export function useFilesKit(chat: ChatClient): FilesKit {
  const kit = useMemo(() => {
    const api = new FileApi({
      base: chat.url ?? location.origin,
      credentials: () => chat.credentials,
      freshToken: pageTokenSource,
    });
    const uploads = new Uploads({ transport: xhrTransport(api), ready: (room) => chat.rooms.get(room)?.joined === true });
    return { api, urls: new ObjectUrls((p) => api.blob(p)), uploads };
  }, [chat]);
  const [, setVersion] = useState(0);
  useEffect(() => {
    const off = kit.uploads.subscribe(() => setVersion(kit.uploads.version));
    const offChat = chat.subscribe(() => kit.uploads.wake());
    return () => {
      off();
      offChat();
      kit.uploads.stop();
      kit.urls.clear();
    };
  }, [kit, chat]);
  return kit;
}

/** An object URL for `path` fetched with the client's auth, released when the caller goes or the path changes. */
export function useObjectUrl(path: string | undefined): { url?: string; error?: string } {
  const kit = useFiles();
  const [state, setState] = useState<{ path?: string; url?: string; error?: string }>({});
  useEffect(() => {
    if (!path || !kit) return;
    let live = true;
    kit.urls.acquire(path).then(
      (url) => live && setState({ path, url }),
      (err: unknown) => live && setState({ path, error: fileErrorText(err) }),
    );
    return () => {
      live = false;
      kit.urls.release(path);
    };
  }, [path, kit]);
  return state.path === path ? { url: state.url, error: state.error } : {};
}
