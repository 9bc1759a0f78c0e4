/**
 * npm run bench -- [--only S1,S3] [--quick] [--no-baseline] [--cpu-prof] [--adapter classic|sharded] [--workers N]
 *                   [--client lean|socket.io] [--runs N] [--socketio] [--node PATH] [--out DIR]
 *                   [--without corking,adapter,deliveries] [--chat-entry dist|src]
 *                   [--search-messages N]
 *
 * Starts a local 2-node chat cluster (scripts/cluster startCluster, nodes addressed
 * directly: the load tester spreads clients over them round-robin, so HAProxy's CPU is
 * not in the numbers) on PostgreSQL and Redis, runs the scenarios, samples each server
 * process's CPU time and RSS from /proc, then does the same with the ws relay baseline
 * (loadtest/baselines/ws-relay.ts) and prints a markdown table with chat-cluster as a
 * ratio to the baseline. `--out docs/bench-runs` records the run there as a dated markdown
 * file; docs/benchmarks.md summarises the recorded runs.
 *
 * `--client` picks the load tester's client for chat-cluster: `lean` (the default,
 * loadtest/lean-conn.ts) costs the tester about what the baseline's ws client does per
 * delivery; `socket.io` (socket.io-client) 1.3–1.4 times that, CPU taken from the servers
 * on a shared machine. The table's header names the one used.
 *
 * `--runs N` (default 3, 1 with --quick) runs S1 and S4 N times per server, alternating the
 * servers, and reports each row as the median of a server's runs, with every pair's ratio
 * under the table: on these VMs the speed of the machine drifts by 15 % between runs, which
 * one pair cannot tell from a difference between the servers.
 *
 * `--socketio` adds a third target to S1 and S4 (alternating), S2 and S3: a plain Socket.IO cluster
 * with the Redis adapter that stores nothing (loadtest/baselines/socketio-relay.ts), driven
 * by the same client as chat-cluster. It has a column of its own, and issue 23's targets are
 * read from chat-cluster's ratio to it.
 *
 * `--node PATH` runs the servers (chat nodes and references) on another Node.js binary, e.g.
 * the LTS the production image uses; the load tester stays on the Node that runs the bench.
 *
 * `--without corking,adapter,deliveries` runs the chat nodes without those patches on
 * Socket.IO's internals (realtime/corking.ts, cluster/adapter.ts's overrides,
 * realtime/deliveries.ts), through preloads in loadtest/bench/without/ that leave the server
 * code as it is: what a patch buys is its run's ratio to plain Socket.IO against a normal run's.
 *
 * `--chat-entry` (default `dist`): the chat nodes run what the image runs, `node dist/main.js`,
 * built by `npm run build:server` before the first scenario; `src` runs `src/main.ts`
 * through tsx, as `npm start` does, whose transform wraps every function it creates (esbuild's
 * keepNames). The references run through tsx either way: their own code is a few handlers.
 *
 * `--only search` runs SEARCH (loadtest/bench/search.ts, not in the default list: it seeds
 * 1,000,000 messages first, or `--search-messages N`): search latency over a large store and
 * other users' send acks while 20 users search.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; the
 * bench creates a fresh database next to it and drops it afterwards), REDIS_URL (default
 * redis://127.0.0.1:6379; keys under a unique prefix, deleted afterwards).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { CONFIG_VARIABLES } from "../src/config.js";
import { deleteKeysByPrefix } from "./redis-keys.js";
import { S3, S4, S5 } from "./bench/capacity.js";
import { prefixes, ROOT, type BenchContext, type Row, type Scenario, type TargetName } from "./bench/harness.js";
import { CommitProbe, describeCommits, type CommitStats } from "./bench/commit-probe.js";
import { CLIENT_NOTE, gitCommit, machine, markdownTable, runEnvironment, runRecord } from "./bench/report.js";
import { SEARCH } from "./bench/search.js";
import { S1, S2 } from "./bench/steady.js";

const SCENARIOS: Record<string, Scenario> = { S1, S2, S3, S4, S5, SEARCH };
const WITHOUT = ["corking", "adapter", "deliveries"];

async function createDatabase(baseUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropDatabase(baseUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean" },
      "no-baseline": { type: "boolean" },
      "cpu-prof": { type: "boolean" },
      adapter: { type: "string" },
      workers: { type: "string" },
      client: { type: "string" },
      runs: { type: "string" },
      without: { type: "string" },
      "chat-entry": { type: "string" },
      "body-text": { type: "string" },
      socketio: { type: "boolean" },
      node: { type: "string" },
      "search-messages": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: npm run bench -- [--only S1,S3] [--quick] [--no-baseline] [--cpu-prof] [--adapter classic|sharded] [--workers N]" +
        " [--client lean|socket.io] [--runs N] [--socketio] [--node PATH] [--body-text pad|words] [--out DIR] [--without corking,adapter,deliveries]" +
        " [--chat-entry dist|src] [--search-messages N]",
    );
    return;
  }
  const only = (values.only ?? "S1,S2,S3,S4,S5").split(",").map((s) => s.trim().toUpperCase());
  for (const s of only) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s}`);
  if (values.adapter !== undefined && !["classic", "sharded"].includes(values.adapter)) {
    throw new Error("--adapter must be classic or sharded");
  }
  const workers = Number(values.workers ?? 1);
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= 64)) throw new Error("--workers must be 1 to 64");
  const runs = Number(values.runs ?? 3);
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 20)) throw new Error("--runs must be 1 to 20");
  const without = (values.without ?? "").split(",").filter(Boolean);
  for (const w of without) if (!WITHOUT.includes(w)) throw new Error(`--without takes ${WITHOUT.join(", ")}`);
  const chatEntry = values["chat-entry"] ?? "dist";
  if (chatEntry !== "dist" && chatEntry !== "src") throw new Error("--chat-entry must be dist or src");
  const client = values.client ?? "lean";
  if (client !== "lean" && client !== "socket.io") throw new Error("--client must be lean or socket.io");
  const searchMessages = values["search-messages"] === undefined ? undefined : Number(values["search-messages"]);
  if (searchMessages !== undefined && !(Number.isInteger(searchMessages) && searchMessages >= 1000 && searchMessages <= 100_000_000)) {
    throw new Error("--search-messages must be 1000 to 100000000");
  }
  const bodyText = values["body-text"] ?? "pad";
  if (bodyText !== "pad" && bodyText !== "words") throw new Error("--body-text must be pad or words");
  const targets: TargetName[] = values["no-baseline"] ? ["chat"] : ["chat", "baseline"];
  const baseDb = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const runTag = `bench${randomBytes(3).toString("hex")}`;
  const dbName = `chat_lt_${runTag}`;
  // The raw JSON and profiles stay in the git-ignored reports folder; --out (docs/bench-runs)
  // gets the run's markdown as a dated file, the record a run leaves in the docs.
  const outDir = path.join(ROOT, "loadtest/reports");
  mkdirSync(outDir, { recursive: true });
  const runsDir = values.out ? path.resolve(values.out) : undefined;
  if (runsDir) mkdirSync(runsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const cpuProfDir = values["cpu-prof"] ? path.join(outDir, `cpuprof-${stamp}`) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });

  const nodeBin = values.node ? path.resolve(values.node) : process.execPath;
  const serverNode = spawnSync(nodeBin, ["--version"], { encoding: "utf8" }).stdout?.trim();
  if (!serverNode) throw new Error(`--node: cannot run ${nodeBin}`);
  if (chatEntry === "dist") {
    const built = spawnSync("npm", ["run", "--silent", "build:server"], { cwd: ROOT, stdio: "inherit" });
    if (built.status !== 0) throw new Error("--chat-entry dist: npm run build:server failed (see above)");
  }
  const startMachine = machine();
  console.error(`bench: ${only.join(",")}${values.quick ? " (quick)" : ""}, targets ${targets.join(",")}, chat client ${client}`);
  console.error(`machine: ${JSON.stringify(startMachine)}`);
  const databaseUrl = await createDatabase(baseDb, dbName);
  const ctx: BenchContext = {
    quick: !!values.quick,
    databaseUrl,
    redisUrl,
    runTag,
    cpuProfDir,
    adapter: values.adapter,
    workers,
    client,
    runs,
    without,
    chatEntry,
    socketio: !!values.socketio,
    bodyText,
    searchMessages,
    nodeBin,
    log: (l) => console.error(l),
  };
  const rows: Row[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const started = new Date();
  const probe = await CommitProbe.start(databaseUrl);
  const commits: Record<string, CommitStats> = {};
  try {
    for (const s of only) {
      console.error(`\n== ${s} ==`);
      probe.take();
      const r = await SCENARIOS[s]!(ctx, targets);
      commits[s] = probe.take();
      console.error(`  ${s} PostgreSQL commit probe: ${describeCommits(commits[s])}`);
      rows.push(...r.rows);
      notes.push(...(r.notes ?? []));
      raw[s] = r.raw;
    }
  } finally {
    await probe.destroy();
    await dropDatabase(baseDb, dbName).catch((e) => console.error(`drop database: ${(e as Error).message}`));
    await deleteKeysByPrefix(redisUrl, prefixes).catch((e) => console.error(`redis cleanup: ${(e as Error).message}`));
  }
  const endMachine = machine();
  const md = [
    `Run ${started.toISOString()} – ${new Date().toISOString()}${values.quick ? " (--quick)" : ""}` +
      (values.adapter ? `, REDIS_ADAPTER=${values.adapter}` : "") +
      (ctx.workers > 1 ? `, ${ctx.workers} load-generator processes` : "") +
      (bodyText === "words" ? ", bodies of English words (--body-text words)" : "") +
      (without.length > 0 ? `, chat nodes without ${without.join(", ")} (--without)` : "") +
      (chatEntry === "src" ? ", chat nodes from src/main.ts through tsx (--chat-entry src)" : ", chat nodes from dist/main.js"),
    "",
    `Load tester's chat client: ${CLIENT_NOTE[client]}; the baseline is driven by a plain ws client.`,
    "",
    `Machine: ${startMachine.nproc} CPUs (${startMachine.cpuModel}), ${startMachine.memoryGiB} GiB, Node ${startMachine.node}` +
      (serverNode !== process.version ? ` (servers on Node ${serverNode}, ${nodeBin})` : "") +
      `, ${startMachine.kernel};` +
      ` load average before ${startMachine.loadavg.join(" / ")}, after ${endMachine.loadavg.join(" / ")}`,
    "",
    markdownTable(rows),
    "",
    ...notes.flatMap((n) => [n, ""]),
    "PostgreSQL commit probe (one-row commits on a connection of its own, one at a time, 10 a second, all through each" +
      " scenario and every target's runs; chat-cluster's acks wait for such commits, the references' do not): " +
      Object.entries(commits)
        .map(([s, c]) => `${s} ${describeCommits(c)}`)
        .join("; ") +
      ".",
    "",
  ].join("\n");
  console.log(`\n${md}`);
  const base = path.join(outDir, `bench-${stamp}`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.json`, `${JSON.stringify({ machine: { start: startMachine, end: endMachine }, commits, client, rows, raw }, null, 1)}\n`);
  console.error(`written ${base}.md and ${base}.json`);
  if (runsDir) {
    const run = runRecord(started, process.argv.slice(2), gitCommit(ROOT), md, runEnvironment(process.env, CONFIG_VARIABLES));
    writeFileSync(path.join(runsDir, run.file), run.text);
    console.error(`written ${path.join(runsDir, run.file)}`);
  }
  if (cpuProfDir) {
    for (const target of readdirSync(cpuProfDir)) {
      const dir = path.join(cpuProfDir, target);
      console.error(`CPU profiles (${target}): ${readdirSync(dir).join(", ")} in ${dir}`);
    }
  }
}

await main();
process.exit(0);
