/** A private redis-server on a spare port, for tests that kill and restart Redis. */
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { eventually } from "./client.js";

export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await eventually(async () => {
    const c = new Redis(port, "127.0.0.1", { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on("error", () => {});
    try {
      await c.connect();
      return (await c.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }, 10_000, "redis up");
  return child;
}
