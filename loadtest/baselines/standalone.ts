/**
 * What the reference servers share: the checks of a send, the probes the bench reads,
 * listening, and running on their own (`npx tsx loadtest/baselines/<name>.ts`).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PUBLIC_ROOM_PATTERN } from "../../src/shared/protocol.js";

export interface RelayOptions {
  port?: number;
  host?: string;
  redisUrl?: string;
  keyPrefix?: string;
}

export interface Relay {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The payload's room, if it is a valid public room name. */
export function roomOf(payload: { room?: unknown } | null | undefined): string | undefined {
  const room = payload?.room;
  return typeof room === "string" && PUBLIC_ROOM_PATTERN.test(room) ? room : undefined;
}

/** A send's trimmed body (1-4000 characters) and clientId (1-64), or undefined when either is bad. */
export function sendFields(payload: { body?: unknown; clientId?: unknown }): { body: string; clientId: string } | undefined {
  const body = typeof payload.body === "string" ? payload.body.trim() : "";
  const clientId = typeof payload.clientId === "string" ? payload.clientId : "";
  if (body.length === 0 || body.length > 4000 || clientId.length === 0 || clientId.length > 64) return undefined;
  return { body, clientId };
}

/** `/metrics` (the one gauge the bench reads, in the chat server's own name, and the connection count), `/healthz`, `/readyz`; 404 otherwise. */
export function probes(connections: () => number): (req: IncomingMessage, res: ServerResponse) => void {
  return function serveProbes(req, res) {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(`nodejs_heap_size_used_bytes ${process.memoryUsage().heapUsed}\nrelay_connections ${connections()}\n`);
    } else if (req.url === "/healthz" || req.url === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
    } else {
      res.writeHead(404);
      res.end();
    }
  };
}

/** Listens on `opts.port` (default: any free port) and `opts.host` (default 127.0.0.1). */
export async function listen(server: Server, opts: RelayOptions): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}` };
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
