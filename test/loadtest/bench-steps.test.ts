/** The bench's S2 rule for a step: held, tried again (too slow only) or failed (loss, errors). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { S2_P99_MS, s2Verdict } from "../../loadtest/bench/steady.js";

const step = (p99Ms: number, over: { lost?: number; errors?: number; acked?: number } = {}) => ({
  delivery: { lost: over.lost ?? 0, latency: { p99Ms } },
  errors: over.errors ?? 0,
  send: { attempted: 1000, acked: over.acked ?? 1000 },
});

test("an S2 step holds at p99 ≤ 50 ms with nothing lost, is tried again when only slower, and fails on loss or errors", () => {
  assert.equal(S2_P99_MS, 50, "issue 23's line");
  assert.equal(s2Verdict(step(50)), "held");
  assert.equal(s2Verdict(step(51)), "again");
  assert.equal(s2Verdict(step(4000)), "again");
  assert.equal(s2Verdict(step(5, { lost: 1 })), "failed");
  assert.equal(s2Verdict(step(5, { errors: 2 })), "failed");
  assert.equal(s2Verdict(step(5, { acked: 989 })), "failed", "under 99 % of the sends acked");
  assert.equal(s2Verdict(step(500, { lost: 3 })), "failed", "slow and lossy is not retried");
});
