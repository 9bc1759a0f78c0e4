/**
 * A local chat cluster without Docker: N server processes behind HAProxy.
 *
 * `npm run cluster` (scripts/cluster.ts) is the command-line face of this module; the
 * e2e tests, the benchmark and the failure tests import `startCluster` directly.
 *
 *   const cluster = await startCluster({ nodes: 3, port: 0, env: { DATABASE_URL, REDIS_URL } });
 *   // cluster.url → http://127.0.0.1:<port> (HAProxy), cluster.nodes[i].url → one node
 *   await cluster.nodes[1].kill("SIGKILL");  await cluster.nodes[1].restart();
 *   await cluster.stop();
 *
 * HAProxy reads the same base configuration as docker compose (deploy/haproxy/haproxy.cfg)
 * plus a generated file that lists the local servers.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { httpStatus, launch, OutputBuffer, terminate, type ExitEvent, type Proc } from "./processes.js";

export type { ExitEvent } from "./processes.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HAPROXY_BASE_CONFIG = path.join(REPO_ROOT, "deploy/haproxy/haproxy.cfg");

export interface ClusterOptions {
  /** Number of server processes (default 3). */
  nodes?: number;
  /** HAProxy's port; 0 (the default) picks a free port. `npm run cluster` uses 3000. */
  port?: number;
  /** Address HAProxy and the nodes listen on (default 127.0.0.1). */
  host?: string;
  /**
   * Port of node-1; node-K listens on basePort + K - 1. Default: port + 1 when `port` is
   * non-zero and HAProxy runs, otherwise 0, which gives every node its own free port.
   */
  basePort?: number;
  /** HAProxy stats page and HAProxy's own /metrics; default 0 = a free port. */
  statsPort?: number;
  /**
   * Give each node /metrics on a free port of its own (METRICS_PORT), as deployed. Default
   * false: METRICS_PORT=0, /metrics on each node's port (HAProxy's frontend refuses it).
   */
  separateMetricsPorts?: boolean;
  /** Extra environment for every node, over process.env. DATABASE_URL and REDIS_URL are required. */
  env?: Record<string, string | undefined>;
  /** Command that starts one node (default: node --import tsx src/main.ts). */
  command?: string[];
  /** Working directory of the nodes (default: the repository root). */
  cwd?: string;
  /** Start HAProxy in front (default true). Without it, `url` is node-1's URL. */
  haproxy?: boolean;
  haproxyBin?: string;
  /** Called with every output line of a node or of HAProxy; default: kept in memory only. */
  log?: (source: string, line: string) => void;
  /** Called when a node or HAProxy exits; `expected` is false when nobody asked it to stop. */
  onExit?: (event: ExitEvent) => void;
  /** How long to wait for /readyz and HAProxy's health checks (default 60 s). */
  readyTimeoutMs?: number;
  /** How long stop()/kill() waits after SIGTERM before SIGKILL (default SHUTDOWN_TIMEOUT_MS + 5 s). */
  stopTimeoutMs?: number;
}


export interface ClusterNode {
  /** NODE_ID, node-1 .. node-N. */
  readonly id: string;
  /** HAProxy's server name (and sticky cookie value), n1 .. nN. */
  readonly server: string;
  readonly port: number;
  /** http://host:port of this node, bypassing HAProxy. */
  readonly url: string;
  /** Where this node's /metrics is: `${metricsUrl}/metrics` (its own port, or `url`). */
  readonly metricsUrl: string;
  /** Current process id (changes on restart); undefined while not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Sends `signal` (default SIGTERM) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the node if it runs (SIGTERM) and starts it again on the same port; resolves when ready. */
  restart(): Promise<void>;
  /** Starts the node again if it is not running; resolves when /readyz says ready. */
  start(): Promise<void>;
  /** Resolves when /readyz answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** The last output lines of this node (for failure messages). */
  recentOutput(): string;
}

export interface Cluster {
  /** Where clients connect: HAProxy (or node-1 when haproxy: false). */
  readonly url: string;
  readonly port: number;
  /** HAProxy's stats page (CSV at `${statsUrl};csv`, Prometheus at `${statsUrl}metrics`). */
  readonly statsUrl: string | undefined;
  readonly nodes: ClusterNode[];
  readonly haproxyPid: number | undefined;
  /** HAProxy's view of each server: n1 → "UP" | "DOWN" | "MAINT" | "NOLB" ... */
  serverStates(): Promise<Record<string, string>>;
  /** Resolves when HAProxy reports each given server (default: all running nodes) UP. */
  waitBalanced(servers?: string[], timeoutMs?: number): Promise<void>;
  /** Stops every process this cluster started; safe to call more than once. */
  stop(): Promise<void>;
}

export class ClusterConfigError extends Error {
  override name = "ClusterConfigError";
}

/** Ports that are free right now (all held open together, so they are distinct). */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(0, host, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** The generated part of the local HAProxy configuration: backend `chat` and its servers. */
export function localBackendConfig(servers: { name: string; host: string; port: number }[]): string {
  const lines = [
    "# Generated by scripts/cluster: the servers of a local cluster.",
    "# Everything else comes from deploy/haproxy/haproxy.cfg (defaults `chat`).",
    "backend chat from chat",
    ...servers.map((s) => `    server ${s.name} ${s.host}:${s.port} cookie ${s.name}`),
  ];
  return lines.join("\n") + "\n";
}

/** Which of DATABASE_URL and REDIS_URL are missing (a cluster needs both: shared state; REDIS_CLUSTER_NODES stands for REDIS_URL). */
export function missingClusterEnv(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => Boolean(env[k]?.trim());
  return ["DATABASE_URL", "REDIS_URL"].filter((k) => !set(k) && !(k === "REDIS_URL" && set("REDIS_CLUSTER_NODES")));
}

function haproxyAvailable(bin: string): boolean {
  const r = spawnSync(bin, ["-v"], { stdio: "ignore" });
  return r.status === 0;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new ClusterConfigError(`nodes must be a positive integer, got ${count}`);
  const host = options.host ?? "127.0.0.1";
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  const missing = missingClusterEnv(env);
  if (missing.length > 0) {
    throw new ClusterConfigError(
      `${missing.join(" and ")} must be set: the nodes of a cluster share PostgreSQL and Redis ` +
        `(e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/chat REDIS_URL=redis://127.0.0.1:6379)`,
    );
  }
  const useHaproxy = options.haproxy ?? true;
  const haproxyBin = options.haproxyBin ?? "haproxy";
  if (useHaproxy && !haproxyAvailable(haproxyBin)) {
    throw new ClusterConfigError(`${haproxyBin} not found: install HAProxy (apt-get install haproxy) or pass haproxy: false`);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
  const stopTimeoutMs = options.stopTimeoutMs ?? (Number.isFinite(shutdownMs) ? shutdownMs : 10_000) + 5_000;
  const cwd = options.cwd ?? REPO_ROOT;
  const command = options.command ?? [process.execPath, "--import", "tsx", "src/main.ts"];
  const [cmd, ...cmdArgs] = command;
  if (!cmd) throw new ClusterConfigError("command must not be empty");

  // Ports: fixed ones as asked, every 0 replaced by a distinct free port.
  const lbPortAsked = useHaproxy ? (options.port ?? 0) : 0;
  const basePort = options.basePort ?? (lbPortAsked === 0 || !useHaproxy ? 0 : lbPortAsked + 1);
  const statsAsked = options.statsPort ?? 0;
  const metricsAsked = options.separateMetricsPorts ? Array.from({ length: count }, () => 0) : [];
  const wanted = [lbPortAsked, ...Array.from({ length: count }, (_, i) => (basePort === 0 ? 0 : basePort + i)), statsAsked, ...metricsAsked];
  const spare = await freePorts(wanted.filter((p) => p === 0).length, host);
  const ports = wanted.map((p) => (p === 0 ? spare.shift()! : p));
  const lbPort = ports[0]!;
  const nodePorts = ports.slice(1, 1 + count);
  const statsPort = ports[1 + count]!;
  const metricsPorts = ports.slice(2 + count);

  const onExit = options.onExit ?? (() => {});
  const procs = new Set<Proc>();
  let stopped = false;

  const nodes: (ClusterNode & { _stop(): Promise<void> })[] = nodePorts.map((port, i) => {
    const id = `node-${i + 1}`;
    const server = `n${i + 1}`;
    const url = `http://${host}:${port}`;
    const metricsPort = metricsPorts[i] ?? 0;
    const out = new OutputBuffer(id, options.log);
    let proc: Proc | undefined;
    const nodeEnv: NodeJS.ProcessEnv = {
      TRUST_PROXY: "true",
      HOST: host,
      ...env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      NODE_ID: id,
    };
    const spawnNode = () => {
      proc = launch(id, cmd, cmdArgs, { cwd, env: nodeEnv }, out, onExit);
      procs.add(proc);
      const mine = proc;
      void mine.exited.then(() => procs.delete(mine));
    };
    const waitReady = async (timeoutMs = readyTimeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!proc || proc.done) {
          throw new Error(`${id} exited before it was ready. Last output:\n${out.text()}`);
        }
        if ((await httpStatus(`${url}/readyz`)) === 200) return;
        if (Date.now() > deadline) {
          throw new Error(`${id} not ready on ${url}/readyz after ${timeoutMs} ms. Last output:\n${out.text()}`);
        }
        await delay(100);
      }
    };
    const node = {
      id,
      server,
      port,
      url,
      metricsUrl: metricsPort === 0 ? url : `http://${host}:${metricsPort}`,
      get pid() {
        return proc && !proc.done ? proc.child.pid : undefined;
      },
      get running() {
        return !!proc && !proc.done;
      },
      async kill(signal: NodeJS.Signals = "SIGTERM") {
        if (!proc || proc.done) return { code: null, signal: null };
        return terminate(proc, signal, signal === "SIGKILL" ? 5_000 : stopTimeoutMs);
      },
      async start() {
        if (stopped) throw new Error("cluster stopped");
        if (!proc || proc.done) spawnNode();
        await waitReady();
      },
      async restart() {
        await node.kill("SIGTERM");
        await node.start();
      },
      waitReady,
      recentOutput: () => out.text(),
      async _stop() {
        if (proc && !proc.done) await terminate(proc, "SIGTERM", stopTimeoutMs);
      },
    };
    return node;
  });

  let haproxy: Proc | undefined;
  const haproxyOut = new OutputBuffer("haproxy", options.log);
  let tmpDir: string | undefined;
  const statsUrl = useHaproxy ? `http://${host}:${statsPort}/` : undefined;

  const serverStates = async (): Promise<Record<string, string>> => {
    if (!statsUrl) return {};
    const res = await fetch(`${statsUrl};csv;norefresh`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const [header, ...rows] = text.split("\n").filter(Boolean);
    const cols = (header ?? "").replace(/^# /, "").split(",");
    const px = cols.indexOf("pxname");
    const sv = cols.indexOf("svname");
    const st = cols.indexOf("status");
    const states: Record<string, string> = {};
    for (const row of rows) {
      const f = row.split(",");
      if (f[px] === "chat" && f[sv] !== "BACKEND" && f[sv] !== "FRONTEND") states[f[sv]!] = f[st]!;
    }
    return states;
  };

  const waitBalanced = async (servers?: string[], timeoutMs = readyTimeoutMs) => {
    if (!useHaproxy) return;
    const want = servers ?? nodes.filter((n) => n.running).map((n) => n.server);
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, string> = {};
    for (;;) {
      if (!haproxy || haproxy.done) throw new Error(`haproxy is not running. Last output:\n${haproxyOut.text()}`);
      try {
        last = await serverStates();
        if (want.every((s) => last[s] === "UP")) return;
      } catch {
        /* stats port not open yet */
      }
      if (Date.now() > deadline) {
        throw new Error(`HAProxy did not report ${want.join(", ")} UP within ${timeoutMs} ms: ${JSON.stringify(last)}`);
      }
      await delay(200);
    }
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Nodes first (they drain: /readyz 503, sockets closed), then the proxy.
    await Promise.all(nodes.map((n) => n._stop()));
    if (haproxy && !haproxy.done) await terminate(haproxy, "SIGTERM", 5_000);
    await Promise.all([...procs].map((p) => terminate(p, "SIGKILL", 5_000)));
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  };

  try {
    // All at once: migrations run under an advisory lock, so concurrent starts are safe.
    const started = await Promise.allSettled(nodes.map((n) => n.start()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    if (useHaproxy) {
      tmpDir = mkdtempSync(path.join(os.tmpdir(), "chat-cluster-"));
      const backendFile = path.join(tmpDir, "backend.local.cfg");
      writeFileSync(
        backendFile,
        localBackendConfig(nodes.map((n) => ({ name: n.server, host, port: n.port }))),
      );
      haproxy = launch(
        "haproxy",
        haproxyBin,
        ["-db", "-f", HAPROXY_BASE_CONFIG, "-f", backendFile],
        {
          cwd,
          env: {
            ...process.env,
            HAPROXY_BIND: `${host}:${lbPort}`,
            HAPROXY_STATS_BIND: `${host}:${statsPort}`,
          },
        },
        haproxyOut,
        onExit,
      );
      procs.add(haproxy);
      await waitBalanced(nodes.map((n) => n.server));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: useHaproxy ? `http://${host}:${lbPort}` : nodes[0]!.url,
    port: useHaproxy ? lbPort : nodes[0]!.port,
    statsUrl,
    nodes,
    get haproxyPid() {
      return haproxy && !haproxy.done ? haproxy.child.pid : undefined;
    },
    serverStates,
    waitBalanced,
    stop,
  };
}
