/**
 * The migrate command and the schema checks as an operator meets them, in real processes:
 * `main.ts migrate` exits 0 on a fresh and on a current database and 1 when it cannot
 * migrate; a node with MIGRATE_ON_START=false refuses an older schema, and every node
 * refuses a schema newer than it knows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { freePorts } from "../../scripts/cluster/index.js";
import { eventually } from "../helpers/client.js";
import { queryDb } from "../helpers/db.js";
import { useTestDatabase } from "../helpers/setup.js";

async function main(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "info", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, out };
}

const freePort = async () => (await freePorts(1))[0]!;

const names = async (url: string) => (await queryDb<{ name: string }>(url, "SELECT name FROM schema_migrations ORDER BY name")).map((r) => r.name);

const db = useTestDatabase("migcmd");

test("a node with MIGRATE_ON_START=false refuses an unmigrated database, naming npm run migrate", async () => {
  const r = await main([], { PORT: String(await freePort()), DATABASE_URL: db.url, MIGRATE_ON_START: "false" });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /schema is older than this version needs \(pending: 001_init, .*npm run migrate/);
  const [t] = await queryDb<{ r: string | null }>(db.url, "SELECT to_regclass('schema_migrations')::text AS r");
  assert.equal(t!.r, null, "it migrated nothing");
});

test("migrate applies every migration and exits 0; run again, it applies nothing and exits 0", async () => {
  const first = await main(["migrate"], { DATABASE_URL: db.url });
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /"applied":\["001_init",.*"007_users","008_threads","009_partition_messages","010_append_batch",.*"012_room_browse","013_search_window","014_append_one"\].*migrations applied/);
  const applied = await names(db.url);
  assert.ok(applied.length >= 6, applied.join());
  const again = await main(["migrate"], { DATABASE_URL: db.url });
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /"applied":\[\].*schema is current/);
  assert.deepEqual(await names(db.url), applied);
});

test("on the migrated database a node with MIGRATE_ON_START=false serves", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn", HOST: "127.0.0.1", PORT: String(port), DATABASE_URL: db.url, MIGRATE_ON_START: "false" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    await eventually(
      async () => {
        assert.equal(child.exitCode, null, "the node exited");
        return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200;
      },
      30_000,
      "readyz 200",
    );
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
});

test("a schema newer than the node knows: migrate and a starting node (either setting) exit 1 and say so", async () => {
  await queryDb(db.url, "INSERT INTO schema_migrations (name) VALUES ('999_from_the_future')");
  try {
    const m = await main(["migrate"], { DATABASE_URL: db.url });
    assert.equal(m.code, 1, m.out);
    assert.match(m.out, /migration failed: the database schema is newer than this version knows .*999_from_the_future/);
    for (const migrateOnStart of ["true", "false"]) {
      const r = await main([], { PORT: String(await freePort()), DATABASE_URL: db.url, MIGRATE_ON_START: migrateOnStart });
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /could not start: the database schema is newer than this version knows .*999_from_the_future/);
    }
  } finally {
    await queryDb(db.url, "DELETE FROM schema_migrations WHERE name = '999_from_the_future'");
  }
});

test("migrate exits 1 with the reason when the database cannot be reached; bad settings and commands are refused", async () => {
  const dead = await freePort();
  const r = await main(["migrate"], { DATABASE_URL: `postgres://postgres@127.0.0.1:${dead}/x` });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /migration failed: .*ECONNREFUSED/);
  const bad = await main(["migrate"], { MIGRATE_ON_START: "maybe" });
  assert.equal(bad.code, 1);
  assert.match(bad.out, /MIGRATE_ON_START:/);
  const unknown = await main(["migrat"], {});
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /unknown command "migrat"/);
});
