/**
 * `npm run bench -- --out DIR` keeps a run in the docs as a dated markdown file
 * (loadtest/bench/report.ts runRecord): the name sorts by time, the heading says when, how
 * and on which commit, and the report follows unchanged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runEnvironment, runRecord } from "../../loadtest/bench/report.js";

test("a recorded run: dated file name, heading with the command and the commit, the report as it is", () => {
  const report = "Run ...\n\n| scenario | metric |\n|---|---|\n";
  const run = runRecord(new Date("2026-12-02T07:05:09Z"), ["--only", "S1", "--out", "docs/bench-runs"], "4c6c63e", report);
  assert.equal(run.file, "2026-12-02-0705.md");
  const [heading, , code, , ...rest] = run.text.split("\n");
  assert.equal(heading, "# 2026-12-02 07:05 UTC, `npm run bench -- --only S1 --out docs/bench-runs`");
  assert.equal(code, "Code: `4c6c63e`.");
  assert.equal(rest.join("\n"), report);
  assert.match(runRecord(new Date("2026-12-02T23:59:00Z"), [], "x", report).text, /^# 2026-12-02 23:59 UTC, `npm run bench`\n/);
});

test("a recorded run names the settings it was given, secrets hidden", () => {
  const env = {
    DATABASE_URL: "postgres://chat:hunter2@db:5432/postgres?options=-c%20synchronous_commit%3Doff",
    STORE_BATCHES_IN_FLIGHT: "1",
    JWT_SECRET: "s3cret",
    PATH: "/usr/bin",
    SEARCH_CONCURRENCY: "",
  };
  const given = runEnvironment(env, ["DATABASE_URL", "STORE_BATCHES_IN_FLIGHT", "JWT_SECRET", "SEARCH_CONCURRENCY", "DATABASE_URL"]);
  assert.deepEqual(given, [
    "DATABASE_URL=postgres://chat:***@db:5432/postgres?options=-c%20synchronous_commit%3Doff",
    "STORE_BATCHES_IN_FLIGHT=1",
    "JWT_SECRET=***",
  ]);
  const [, , , , environment, , ...rest] = runRecord(new Date("2026-12-02T07:05:09Z"), [], "x", "Run ...\n", given).text.split("\n");
  assert.equal(environment, `Environment: ${given.map((g) => `\`${g}\``).join(", ")}.`);
  assert.equal(rest.join("\n"), "Run ...\n");
  assert.doesNotMatch(runRecord(new Date(), [], "x", "Run\n").text, /Environment/);
});
