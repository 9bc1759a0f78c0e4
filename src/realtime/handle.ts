/**
 * `handle(schema, fn)`: the one way a client event reaches chat code. It validates the
 * payload, runs the handler, answers the ack (when there is one) with `{ ok, ... }` or the
 * contract's error, records metrics, and never lets anything throw into Socket.IO.
 */
import type { Socket } from "socket.io";
import type { z } from "zod";
import type { Ack } from "../shared/protocol.js";
import { ChatError, formatIssues, toErrorBody } from "../errors.js";
import type { Metrics } from "../metrics.js";
import { state } from "./socket-state.js";

export type Handler<S extends z.ZodType> = (payload: z.output<S>, socket: Socket) => Promise<object | void>;

/** Counts handlers in progress, so that shutdown can wait for in-flight writes. */
export class InFlight {
  count = 0;
  private waiters: (() => void)[] = [];
  enter(): void {
    this.count++;
  }
  leave(): void {
    if (--this.count === 0) for (const w of this.waiters.splice(0)) w();
  }
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/** A bound event handler, shared by every socket: `args` are the event's arguments, ack last. */
export type EventHandler = (socket: Socket, args: unknown[]) => void;

export function handle<S extends z.ZodType>(
  ctx: { metrics: Metrics },
  inflight: InFlight,
  event: string,
  schema: S,
  fn: Handler<S>,
): EventHandler {
  const { metrics } = ctx;
  // Bound once per event name: labelled calls would hash the label set on every event.
  const duration = metrics.eventDuration.labels({ event });
  const succeeded = metrics.events.labels({ event, outcome: "ok" });
  return function onEvent(socket: Socket, args: unknown[]): void {
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (a: Ack) => void) : undefined;
    const started = performance.now();
    inflight.enter();
    const run = async (): Promise<Ack> => {
      const parsed = schema.safeParse(args[0]);
      if (!parsed.success) throw new ChatError("invalid_payload", formatIssues(parsed.error));
      const result = await fn(parsed.data, socket);
      return { ok: true, ...(result ?? {}) };
    };
    run()
      .catch((err: unknown) => ({ ok: false as const, error: toErrorBody(err, state(socket).log, { event }) }))
      .then((answer) => {
        if (answer.ok) succeeded.inc();
        else metrics.events.inc({ event, outcome: answer.error.code });
        duration.observe((performance.now() - started) / 1000);
        if (ack) {
          try {
            ack(answer);
          } catch (err) {
            state(socket).log.warn({ err, event }, "ack failed");
          }
        }
      })
      .finally(() => inflight.leave());
  };
}
