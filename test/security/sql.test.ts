/**
 * Parameterised SQL only. A grep over src/store: no SQL text is built from a value; the
 * only interpolations in SQL strings are fixed column lists, the fixed first_seq join of
 * history.ts, the writer's fixed chat_append_messages call, search.ts's fixed match and page fragments, and fixed SET fragments (each call site of `apply` passes a string literal). And a message body of SQL is stored and
 * returned verbatim.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { call, closeAll, connect } from "../helpers/client.js";
import { createTestDatabase, queryDb } from "../helpers/db.js";
import { startNode } from "../helpers/node.js";

const STORE = path.resolve(import.meta.dirname, "../../src/store");
/** search.ts's fragments are string literals of its own, checked below. */
const SEARCH_FRAGMENTS = ["MATCH_BODY", "MATCH_FILES", "READABLE", "PAGE_ROWS"];
const ALLOWED = new Set(["MESSAGE_COLUMNS", "WITH_FIRST_SEQ", "APPEND_BATCH", "set", ...SEARCH_FRAGMENTS]);
const SQL_WORD = /\b(SELECT|INSERT|UPDATE|DELETE|WHERE|FROM|VALUES|CREATE|ALTER|DROP)\b/;

test("src/store: SQL strings interpolate only fixed fragments", () => {
  const problems: string[] = [];
  let sqlTemplates = 0;
  for (const f of fs.readdirSync(STORE, { recursive: true }) as string[]) {
    if (!f.endsWith(".ts")) continue;
    const src = fs.readFileSync(path.join(STORE, f), "utf8");
    // Every template literal that looks like SQL.
    for (const m of src.matchAll(/`([^`]*)`/g)) {
      const body = m[1]!;
      if (!SQL_WORD.test(body)) continue;
      sqlTemplates++;
      for (const i of body.matchAll(/\$\{([^}]*)\}/g)) {
        if (!ALLOWED.has(i[1]!.trim())) problems.push(`${f}: \${${i[1]}} in SQL`);
      }
    }
    // String concatenation into SQL.
    for (const m of src.matchAll(/["'`][^"'`]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b[^"'`]*["'`]\s*\+/g)) problems.push(`${f}: concatenation after ${m[0].slice(0, 40)}`);
    // `apply(...)` gets its SET fragment as a string literal at every call site.
    for (const m of src.matchAll(/\bapply\(tx,[^,]+,[^,]+,[^,]+,\s*("[^"]*"|'[^']*'|[^,)]+)\s*[,)]/g)) {
      if (!/^("[^"]*"|'[^']*')$/.test(m[1]!.trim())) problems.push(`${f}: apply() with a computed SET ${m[1]}`);
    }
  }
  // MESSAGE_COLUMNS is a constant list of column names.
  const rows = fs.readFileSync(path.join(STORE, "rows.ts"), "utf8");
  const cols = /export const MESSAGE_COLUMNS\s*=\s*(["'`])([^"'`]*)\1/.exec(rows);
  assert.ok(cols, "MESSAGE_COLUMNS is a string literal");
  assert.match(cols[2]!, /^[a-z_,\s]+$/);
  const search = fs.readFileSync(path.join(STORE, "search.ts"), "utf8");
  for (const name of SEARCH_FRAGMENTS) {
    const def = new RegExp(`^const ${name} = (["\`])([^"\`]*)\\1;$`, "m").exec(search);
    assert.ok(def, `${name} is a string literal`);
    assert.ok(!/\$\{(?!MESSAGE_COLUMNS\})/.test(def[2]!), `${name} interpolates only MESSAGE_COLUMNS`);
  }
  assert.ok(sqlTemplates > 5, `found ${sqlTemplates} SQL templates`);
  assert.deepEqual(problems, []);
});

test("a body of SQL is stored and returned verbatim", async () => {
  const db = await createTestDatabase("sql");
  const node = await startNode({ DATABASE_URL: db.url });
  try {
    const s = await connect(node.url, { username: "bobby" });
    assert.equal((await call(s, "room:join", { room: "tables" })).ok, true);
    const bodies = [
      "Robert'); DROP TABLE messages;--",
      "' OR '1'='1",
      "$1 $2 \\x00 E'\\\\' ; SELECT pg_sleep(10); --",
      "\"; UPDATE rooms SET last_seq = 0; --",
    ];
    for (const [i, body] of bodies.entries()) {
      const a = await call(s, "message:send", { room: "tables", body, clientId: `'; DELETE FROM messages; -- ${i}` });
      assert.equal(a.ok, true);
      assert.equal(a.message.body, body);
    }
    const rows = await queryDb<{ body: string; client_id: string }>(db.url, "SELECT body, client_id FROM messages WHERE room = 'tables' ORDER BY seq");
    assert.deepEqual(rows.map((r) => r.body), bodies);
    assert.equal(rows[0]!.client_id, "'; DELETE FROM messages; -- 0");
    const h = await call(s, "room:history", { room: "tables" });
    assert.deepEqual(h.messages.map((m: { body: string }) => m.body), bodies);
    const found = await call(s, "messages:search", { query: "DROP TABLE" });
    assert.ok(found.ok, JSON.stringify(found));
  } finally {
    closeAll();
    await node.stop();
    await db.drop();
  }
});
