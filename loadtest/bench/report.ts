/** The bench's markdown: the table, number formats, the machine it ran on. */
import { spawnSync } from "node:child_process";
import os from "node:os";
import type { ClientKind } from "../conn.js";
import type { Row } from "./harness.js";

/** The header's wording per `--client`, so a recorded run says what drove the chat target. */
export const CLIENT_NOTE: Record<ClientKind, string> = {
  lean: "lean (Engine.IO + Socket.IO over a raw ws WebSocket, loadtest/lean-conn.ts)",
  "socket.io": "socket.io-client (1.3–1.4× the lean client's CPU per message, taken from the servers)",
};

export function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "–";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** chat-cluster's figure over another server's (read it with the metric: for a latency, below 1 is better). */
function ratio(chat: number | undefined, other: number | undefined): string {
  return chat !== undefined && other !== undefined && other !== 0 ? `${(chat / other).toFixed(2)}×` : "–";
}

export function markdownTable(rows: Row[]): string {
  const out = [
    "| scenario | metric | chat-cluster | plain Socket.IO | ws relay | chat / plain SIO | chat / relay | target |",
    "|---|---|---:|---:|---:|---:|---:|---|",
  ];
  let last = "";
  for (const r of rows) {
    out.push(
      `| ${r.scenario === last ? "" : r.scenario} | ${r.metric} | ${fmt(r.chat)} | ${fmt(r.socketio)} | ${fmt(r.baseline)} | ` +
        `${ratio(r.chat, r.socketio)} | ${ratio(r.chat, r.baseline)} | ${r.target ?? ""} |`,
    );
    last = r.scenario;
  }
  return out.join("\n");
}

export function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The checked-out commit (short), "+dirty" when the tree has changes; "unknown" outside git. */
export function gitCommit(dir: string): string {
  const git = (...a: string[]) => spawnSync("git", ["-C", dir, ...a], { encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD").stdout?.trim();
  if (!head) return "unknown";
  return git("status", "--porcelain", "--untracked-files=no").stdout?.trim() ? `${head}+dirty` : head;
}

/**
 * A run as it is kept under docs/bench-runs/ (`--out`): a dated file name, and the report
 * under a heading that says when, how (the bench's arguments) and on which commit.
 */
export function runRecord(started: Date, args: string[], commit: string, report: string, env: string[] = []): { file: string; text: string } {
  const iso = started.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 16);
  const command = ["npm run bench", ...(args.length ? ["--", ...args] : [])].join(" ");
  const given = env.length ? `Environment: ${env.map((e) => `\`${e}\``).join(", ")}.\n\n` : "";
  return {
    file: `${day}-${time.replace(":", "")}.md`,
    text: `# ${day} ${time} UTC, \`${command}\`\n\nCode: \`${commit}\`.\n\n${given}${report.trimEnd()}\n`,
  };
}

/**
 * The variables of the bench's environment among `names` (the database and Redis it was
 * pointed at, and the server settings the nodes inherit), as `NAME=value`, secrets hidden:
 * a run with `STORE_BATCHES_IN_FLIGHT=1` or a `DATABASE_URL` with `options` is another run.
 */
export function runEnvironment(env: Record<string, string | undefined>, names: readonly string[]): string[] {
  return [...new Set(names)]
    .filter((n) => env[n] !== undefined && env[n] !== "")
    .map((n) => `${n}=${/SECRET|PASSWORD|PRIVATE/.test(n) ? "***" : withoutPassword(env[n]!)}`);
}

function withoutPassword(value: string): string {
  try {
    const u = new URL(value);
    if (!u.password) return value;
    u.password = "***";
    return u.toString();
  } catch {
    return value;
  }
}
