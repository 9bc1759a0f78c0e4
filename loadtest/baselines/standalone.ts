/** What the reference servers share: listening, and running on their own (`npx tsx loadtest/baselines/<name>.ts`). */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import type { Relay, RelayOptions } from "./ws-relay.js";

/** Listens on `opts.port` (default: any free port) and `opts.host` (default 127.0.0.1). */
export async function listen(server: Server, opts: RelayOptions): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}` };
}

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
