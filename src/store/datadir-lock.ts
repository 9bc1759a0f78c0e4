/**
 * PGlite keeps its files in DATA_DIR for one process only: a second process opening the
 * same directory (say `npm start` run twice) would corrupt it. A lock file naming the
 * owner refuses the second process with a message that names the directory; a lock left
 * behind by a process that no longer runs (a crash, a container restart) is taken over.
 *
 * The owner is its pid plus, on Linux, the process's start time from /proc, so that a
 * recycled pid (a restarted container's process often gets the same one) is not taken
 * for the old owner. It guards processes on one machine, not hosts sharing a volume.
 */
import fs from "node:fs";
import path from "node:path";

export const LOCK_FILE = "chat-cluster.lock";

export class DataDirInUseError extends Error {
  constructor(dir: string, owner: string) {
    super(
      `DATA_DIR ${dir} is in use by another chat-cluster process (pid ${owner.split(" ")[0]}): ` +
        "the embedded database serves one process. Stop that process, give this one another " +
        "DATA_DIR, or set DATABASE_URL to share a PostgreSQL between nodes.",
    );
    this.name = "DataDirInUseError";
  }
}

/** Takes the directory's lock; returns the function that gives it back (safe to call twice). */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const me = identity(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, me, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const owner = readOwner(file);
      if (owner !== undefined && owner !== me && isRunning(owner)) throw new DataDirInUseError(dir, owner);
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  let held = true;
  return function releaseDataDir(): void {
    if (!held) return;
    held = false;
    if (readOwner(file) === me) fs.rmSync(file, { force: true });
  };
}

function readOwner(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** "pid starttime" on Linux, "pid" elsewhere. */
function identity(pid: number): string {
  const start = startTime(pid);
  return start === undefined ? String(pid) : `${pid} ${start}`;
}

function startTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may contain spaces, so
    // count from the closing parenthesis.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isRunning(owner: string): boolean {
  const [pidText, start] = owner.split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (start !== undefined && fs.existsSync("/proc/self/stat")) return startTime(pid) === start;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
