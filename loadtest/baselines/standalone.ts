/** Running a reference server on its own: `npx tsx loadtest/baselines/<name>.ts`. */
import { pathToFileURL } from "node:url";
import type { Relay, RelayOptions } from "./ws-relay.js";

/** Whether the module at `moduleUrl` is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  return !!process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/** Starts the server from PORT, HOST, REDIS_URL and REDIS_KEY_PREFIX; stops it on SIGTERM or SIGINT. */
export async function runStandalone(name: string, defaultPort: number, start: (o: RelayOptions) => Promise<Relay>): Promise<void> {
  const relay = await start({
    port: Number(process.env.PORT ?? defaultPort),
    host: process.env.HOST ?? "127.0.0.1",
    redisUrl: process.env.REDIS_URL,
    keyPrefix: process.env.REDIS_KEY_PREFIX,
  });
  console.log(`${name} listening on ${relay.url}`);
  const stop = () => void relay.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
