/**
 * Settings that are valid but likely to hurt are named at startup: a backlog cap below one
 * history page of the longest messages (a client reading history would be closed for it).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode } from "../helpers/node.js";

test("a backlog cap below one page of 100 longest messages is a warning naming both variables", () => {
  assert.deepEqual(loadConfig({}).warnings, [], "the defaults (4 MiB, 4,000 characters)");
  assert.deepEqual(loadConfig({ MAX_SOCKET_BACKLOG_BYTES: "0" }).warnings, [], "no cap");
  assert.deepEqual(loadConfig({ MAX_SOCKET_BACKLOG_BYTES: "400000" }).warnings, [], "exactly one page");
  assert.deepEqual(loadConfig({ MAX_SOCKET_BACKLOG_BYTES: "65536", MAX_MESSAGE_CHARS: "500" }).warnings, []);
  const [w, ...rest] = loadConfig({ MAX_SOCKET_BACKLOG_BYTES: "65536" }).warnings;
  assert.deepEqual(rest, []);
  assert.match(w!, /^MAX_SOCKET_BACKLOG_BYTES \(65536\) is below one history page of 100 messages of MAX_MESSAGE_CHARS \(4000\)/);
  assert.match(loadConfig({ MAX_SOCKET_BACKLOG_BYTES: "1048576", MAX_MESSAGE_CHARS: "20000" }).warnings[0]!, /MAX_MESSAGE_CHARS \(20000\)/);
});

test("every bad variable at once, the rules across variables included", () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
  };
  const p = problems({ PORT: "abc", HISTORY_LIMIT: "500", AUTH_MODE: "jwt" });
  assert.equal(p.length, 3, p.join("\n"));
  assert.match(p[0]!, /^PORT: must be an integer/);
  assert.match(p[1]!, /^HISTORY_LIMIT: /);
  assert.match(p[2]!, /^JWT_SECRET \/ JWT_PUBLIC_KEY \/ JWKS_URL: AUTH_MODE=jwt needs exactly one/);
  // A rule whose variable is itself invalid is not also reported.
  assert.deepEqual(
    problems({ PING_INTERVAL_MS: "soon", PING_GRID_MS: "50000", JWT_REQUIRE_EXP: "yes", SESSION_GRACE_MS: "-1" }).map((x) => x.split(":")[0]),
    ["JWT_REQUIRE_EXP", "SESSION_GRACE_MS", "PING_INTERVAL_MS"],
  );
  assert.deepEqual(problems({ AUTH_MODE: "jwt", JWKS_URL: "not a url" }).map((x) => x.split(":")[0]), ["JWKS_URL"]);
});

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("config");
});
after(() => db.drop());

test("the node logs each warning once as it starts, and starts", async () => {
  const lines: string[] = [];
  const node = await startNode({ DATABASE_URL: db.url, LOG_LEVEL: "warn", MAX_SOCKET_BACKLOG_BYTES: "65536" }, { logTo: (l) => lines.push(l) });
  try {
    const warned = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.msg.startsWith("MAX_SOCKET_BACKLOG_BYTES"));
    assert.equal(warned.length, 1, lines.join("\n"));
    assert.equal(warned[0]!.level, "warn");
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  } finally {
    await node.stop();
  }
});

test("a read replica needs a primary: DATABASE_REPLICA_URL alone is refused, naming both variables", () => {
  assert.throws(() => loadConfig({ DATABASE_REPLICA_URL: "postgres://r:5432/chat" }), /DATABASE_REPLICA_URL: needs DATABASE_URL/);
  assert.throws(() => loadConfig({ DATABASE_URL: "postgres://p:5432/chat", DATABASE_REPLICA_URL: "mysql://r" }), /DATABASE_REPLICA_URL: must be a postgres:\/\/ URL/);
  const c = loadConfig({ DATABASE_URL: "postgres://p:5432/chat", DATABASE_REPLICA_URL: "postgres://r:5432/chat" });
  assert.equal(c.databaseReplicaUrl, "postgres://r:5432/chat");
});
