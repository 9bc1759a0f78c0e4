/**
 * `npm run bench -- --without corking`: the chat nodes run without realtime/corking.ts's
 * wrappers, to measure what they buy. Loaded with --import before the server, it marks the
 * three prototypes as already patched, so corkWebSocketFlushes() leaves them as they are
 * (and the backlog cap, which lives in the same wrapper, is off too).
 */
import { createRequire } from "node:module";

const PATCHED = Symbol.for("chat-cluster.corkedWebSocketSend");
const fromRoot = createRequire(new URL("../../../package.json", import.meta.url));
const fromSocketIo = createRequire(fromRoot.resolve("socket.io"));
const engine = fromSocketIo("engine.io") as {
  Socket: { prototype: Record<symbol, unknown> };
  transports: { websocket: { prototype: Record<symbol, unknown> } };
};
const client = fromSocketIo("./client.js") as { Client: { prototype: Record<symbol, unknown> } };
for (const proto of [engine.Socket.prototype, engine.transports.websocket.prototype, client.Client.prototype]) proto[PATCHED] = true;
