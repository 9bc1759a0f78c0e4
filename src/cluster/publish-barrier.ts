/**
 * Waiting until Redis has answered every publish issued so far, whichever connection or
 * shard each went to: a presence leave is settled only after its announcement was processed.
 *
 * Each wait costs O(1): publishes are numbered as they are issued, and a wait remembers the
 * last number it covers. A wait per leave that collected the publishes then in flight cost
 * O(in flight) each instead, and a node draining 8,000 connections, each leave one publish
 * and one wait, built arrays and promises for 8,000 × 8,000 entries and ran out of heap.
 */
import type { RedisClient } from "./clients.js";

interface Waiter {
  /** The last publish this wait covers. */
  upTo: number;
  /** Failures counted when the wait began: any later one makes it answer false. */
  failures: number;
  resolve: (allSucceeded: boolean) => void;
}

/**
 * Wraps `pub`'s `publish` and `spublish` to number them; the returned function resolves once
 * every publish issued before the call has been answered, true if none failed meanwhile (a
 * failure of a later publish may also answer false: a leave is then announced again, which
 * the protocol allows). Failures go to `onFailure`.
 */
export function trackPublishes(pub: RedisClient, onFailure: (err: unknown) => void): () => Promise<boolean> {
  let issued = 0;
  let failures = 0;
  // The oldest publish not answered yet (issued + 1 when none is in flight), and those
  // answered ahead of it (another shard answered first). `oldest` only moves forward, so
  // each answer costs O(1) amortised; a Set read from its first entry after each delete
  // would walk the deleted entries V8 keeps until it rehashes, O(n²) over a drain.
  let oldest = 1;
  const answeredAhead = new Set<number>();
  const waiters: Waiter[] = [];
  let head = 0;

  function answered(n: number): void {
    if (n !== oldest) {
      answeredAhead.add(n);
      return;
    }
    oldest++;
    while (answeredAhead.delete(oldest)) oldest++;
    // Waits begin in issue order, so each covers no less than the one before it.
    while (head < waiters.length && waiters[head]!.upTo < oldest) {
      const w = waiters[head++]!;
      w.resolve(failures === w.failures);
    }
    if (head === waiters.length) {
      waiters.length = 0;
      head = 0;
    }
  }

  const client = pub as unknown as Record<"publish" | "spublish", (...a: unknown[]) => Promise<unknown>>;
  for (const name of ["publish", "spublish"] as const) {
    const send = client[name].bind(pub);
    client[name] = (...args: unknown[]) => {
      const n = ++issued;
      let sent: Promise<unknown>;
      try {
        sent = send(...args);
      } catch (err) {
        answered(n);
        throw err;
      }
      sent.then(
        () => answered(n),
        (err: unknown) => {
          failures++;
          // Answered first: a throwing onFailure must not leave the waits hanging.
          answered(n);
          onFailure(err);
        },
      );
      return sent;
    };
  }
  return () => {
    if (oldest > issued) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => waiters.push({ upTo: issued, failures, resolve }));
  };
}
