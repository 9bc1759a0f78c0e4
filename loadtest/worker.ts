/**
 * One load-generator worker process (loadtest/workers.ts): runs its shard of the clients
 * and talks to the coordinator over IPC at the phase barriers.
 */
import type { FromWorker, ToWorker } from "./workers.js";
import { runLoad } from "./run.js";

const send = (m: FromWorker, then?: () => void) => process.send!(m, undefined, {}, then);
const released = new Map<string, () => void>();
let finalsWaiter: ((f: number[]) => void) | undefined;
const abort = new AbortController();

function barrier(name: string): Promise<void> {
  return new Promise((resolve) => {
    released.set(name, resolve);
    send({ type: "barrier", barrier: name });
  });
}

process.on("message", (m: ToWorker) => {
  if (m.type === "release") released.get(m.barrier)?.();
  else if (m.type === "finals") finalsWaiter?.(m.finals);
  else if (m.type === "abort") abort.abort();
  else if (m.type === "start") {
    runLoad({
      ...m.options,
      shard: m.shard,
      keepRaw: true,
      progress: false,
      signal: abort.signal,
      hooks: {
        connected: () => barrier("connected"),
        sendingDone: () => barrier("sendingDone"),
        exchangeFinals: (local) =>
          new Promise((resolve) => {
            finalsWaiter = resolve;
            send({ type: "finals", finals: local });
          }),
        tick: (point) => send({ type: "tick", point }),
      },
    }).then(
      // Disconnect only once the (large) report has been handed to the channel.
      (report) => send({ type: "done", report }, () => process.disconnect()),
      (err: unknown) =>
        send({ type: "failed", error: err instanceof Error ? err.message : String(err) }, () => process.disconnect()),
    );
  }
});
// The coordinator gone means the run is over.
process.on("disconnect", () => abort.abort());
