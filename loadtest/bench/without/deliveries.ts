/**
 * `npm run bench -- --without deliveries`: no per-broadcast delivery count
 * (realtime/deliveries.ts), to measure its cost. Loaded with --import before the server:
 * the in-memory adapter's broadcast ignores the assignment that would wrap it.
 */
import { createRequire } from "node:module";

const fromRoot = createRequire(new URL("../../../package.json", import.meta.url));
const fromSocketIo = createRequire(fromRoot.resolve("socket.io"));
const { Adapter } = fromSocketIo("socket.io-adapter") as { Adapter: { prototype: object } };
const own = (Adapter.prototype as { broadcast: unknown }).broadcast;
Object.defineProperty(Adapter.prototype, "broadcast", { get: () => own, set: () => {}, configurable: true });
