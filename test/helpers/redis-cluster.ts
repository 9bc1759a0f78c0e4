/**
 * A real local Redis Cluster (3 primaries, 3 replicas) started by scripts/redis-cluster.sh
 * on ports of its own, for the tests that run chat nodes on a Redis Cluster.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Cluster, Redis } from "ioredis";
import { withTimeout } from "../../src/timing.js";

const SCRIPT = new URL("../../scripts/redis-cluster.sh", import.meta.url).pathname;

export interface LocalRedisCluster {
  ports: number[];
  /** REDIS_CLUSTER_NODES for the chat nodes: the first three ports as seeds. */
  seeds: string;
  /** SIGKILLs the redis-server on `port` by the PID it wrote at start. */
  kill(port: number): void;
  /** A client of the cluster (disconnect it when done). */
  client(): Cluster;
  /** Ports of the primaries that own the slots, as the cluster sees it now. */
  primaries(): Promise<number[]>;
  /** The port of the primary serving `key`'s slot (a key or a sharded channel). */
  ownerOf(key: string): Promise<number>;
  /** How long a primary may be silent before its replica is promoted, on every live server. */
  setNodeTimeout(ms: number): Promise<void>;
  /** Stops every redis-server the script started, by PID, and removes its directory. */
  stop(): void;
}

function script(cmd: string, first: number): string {
  const r = spawnSync("bash", [SCRIPT, cmd, String(first)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`redis-cluster.sh ${cmd} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export function startRedisCluster(first = 7101): LocalRedisCluster {
  const pointer = path.join(process.env.TMPDIR ?? os.tmpdir(), `chat-redis-cluster-${first}.dir`);
  // A run that died before its after() left its servers: stop them (their PIDs) first.
  if (fs.existsSync(pointer)) script("stop", first);
  script("start", first);
  const dir = fs.readFileSync(pointer, "utf8").trim();
  const ports = Array.from({ length: 6 }, (_, i) => first + i);
  const seeds = ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
  return {
    ports,
    seeds: seeds.join(","),
    kill(port) {
      process.kill(Number(fs.readFileSync(path.join(dir, String(port), "redis.pid"), "utf8")), "SIGKILL");
    },
    client: () => new Cluster(seeds.map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) }))),
    async primaries() {
      for (const port of ports) {
        const r = new Redis(port, "127.0.0.1", { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        r.on("error", () => {});
        try {
          await r.connect();
          const nodes = (await r.cluster("NODES")) as string;
          return nodes
            .split("\n")
            .map((line) => line.split(" "))
            .filter((f) => f[2]?.includes("master") && !f[2].includes("fail") && f.length > 8)
            .map((f) => Number(f[1]!.split("@")[0]!.split(":")[1]))
            .sort((a, b) => a - b);
        } catch {
          // that one is down: ask the next
        } finally {
          r.disconnect();
        }
      }
      return [];
    },
    async ownerOf(key) {
      const c = new Cluster(seeds.map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) })));
      try {
        // A cluster that is not serving every slot never becomes ready: fail instead of hanging the file.
        const slot = Number(await withTimeout(c.cluster("KEYSLOT", key), 10_000));
        return Number(c.slots[slot]![0]!.split(":")[1]);
      } finally {
        c.disconnect();
      }
    },
    async setNodeTimeout(ms) {
      for (const port of ports) {
        const r = new Redis(port, "127.0.0.1", { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        r.on("error", () => {});
        await r
          .connect()
          .then(() => r.config("SET", "cluster-node-timeout", String(ms)))
          .catch(() => {}) // a server killed earlier
          .finally(() => r.disconnect());
      }
    },
    stop: () => void script("stop", first),
  };
}
