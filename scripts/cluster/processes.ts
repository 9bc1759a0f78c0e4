/**
 * The child processes of a local cluster: started in their own process group, their
 * output kept (the last lines, for error messages) and passed on, stopped with a signal
 * and a deadline, and all killed if the parent exits abruptly.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface ExitEvent {
  source: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
}

export class OutputBuffer {
  private lines: string[] = [];
  private partial = "";
  constructor(
    private readonly source: string,
    private readonly sink?: (source: string, line: string) => void,
    private readonly keep = 200,
  ) {}
  push(chunk: Buffer | string) {
    const text = this.partial + chunk.toString();
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.add(line);
  }
  flush() {
    if (this.partial) this.add(this.partial);
    this.partial = "";
  }
  private add(line: string) {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
    this.sink?.(this.source, line);
  }
  text() {
    return [...this.lines, this.partial].filter(Boolean).join("\n");
  }
}

export interface Proc {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stopping: boolean;
  done: boolean;
}

/** Every child any cluster in this process started: killed if the parent exits abruptly. */
const allChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of allChildren) {
      try {
        if (c.pid) process.kill(-c.pid, "SIGKILL");
      } catch {
        try {
          c.kill("SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
  });
}

export function launch(
  source: string,
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
  out: OutputBuffer,
  onExit: (e: ExitEvent) => void,
): Proc {
  installExitHook();
  // Own process group: a Ctrl-C in the terminal reaches only the parent, which then
  // stops the children in order (SIGTERM, drain, exit) instead of all at once.
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  allChildren.add(child);
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stderr!.on("data", (d: Buffer) => out.push(d));
  const proc: Proc = { child, stopping: false, done: false, exited: undefined as never };
  proc.exited = new Promise((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      proc.done = true;
      allChildren.delete(child);
      out.flush();
      onExit({ source, pid: child.pid ?? -1, code, signal, expected: proc.stopping });
      resolve({ code, signal });
    };
    child.on("exit", finish);
    child.on("error", (err) => {
      out.push(`spawn failed: ${err.message}\n`);
      finish(null, null);
    });
  });
  return proc;
}

export async function terminate(proc: Proc, signal: NodeJS.Signals, timeoutMs: number) {
  proc.stopping = true;
  if (proc.done) return proc.exited;
  try {
    proc.child.kill(signal);
  } catch {
    /* already gone */
  }
  const timer = setTimeout(() => {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }, timeoutMs);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

export async function httpStatus(url: string, timeoutMs = 2000): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}
