/**
 * `npm run bench -- --without adapter`: the sharded adapter as published, without
 * cluster/adapter.ts's two overrides (local delivery without waiting for SPUBLISH, own
 * echoes dropped unparsed), to measure what they buy. Loaded with --import before the
 * server: every adapter the factory makes ignores assignments to those two methods.
 */
import { createRequire } from "node:module";

type Factory = (pub: unknown, sub: unknown, opts: unknown) => (nsp: unknown) => Record<string, unknown>;
const fromRoot = createRequire(new URL("../../../package.json", import.meta.url));
// The CommonJS module the server's ESM import reads its named exports from, once, later.
const sharded = fromRoot("@socket.io/redis-adapter/dist/sharded-adapter.js") as { createShardedAdapter: Factory };
const create = sharded.createShardedAdapter;
sharded.createShardedAdapter = (pub, sub, opts) => {
  const make = create(pub, sub, opts);
  return (nsp) => {
    const adapter = make(nsp);
    for (const name of ["publishAndReturnOffset", "onRawMessage"]) {
      const own = adapter[name];
      Object.defineProperty(adapter, name, { get: () => own, set: () => {}, configurable: true });
    }
    return adapter;
  };
};
