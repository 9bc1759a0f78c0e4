/** CPU time and memory of server processes, read from /proc (Linux) and /metrics. */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const n = Number(r.stdout?.trim());
    clkTck = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clkTck;
}

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / ticksPerSecond();
}

/** VmRSS and VmHWM of a process in bytes (/proc/<pid>/status). */
export function memory(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** nodejs_heap_size_used_bytes from a node's Prometheus /metrics, or undefined. */
export async function heapUsed(baseUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ProcSample {
  pid: number;
  cpu: number;
  rss: number;
  heap?: number;
}

export async function sample(procs: { pid: number; url: string }[]): Promise<ProcSample[]> {
  return Promise.all(
    procs.map(async (p) => ({ pid: p.pid, cpu: cpuSeconds(p.pid), rss: memory(p.pid).rss, heap: await heapUsed(p.url) })),
  );
}

/** Busy and total CPU time of the whole machine in seconds (/proc/stat, first line). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest is inside user.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond() };
}

/** Sum of every sample of the named metrics (over all label sets) from each node's /metrics. */
export async function scrapeSums(urls: string[], names: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const u of urls) {
    try {
      const text = await (await fetch(`${u}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      for (const line of text.split("\n")) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
        if (m && m[1]! in out) out[m[1]!]! += Number(m[2]);
      }
    } catch {
      /* a node without /metrics (or gone): counts as 0 */
    }
  }
  return out;
}
