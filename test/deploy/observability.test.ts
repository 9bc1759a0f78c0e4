/**
 * The dashboard and the alerts against real data: a Prometheus (the Debian binary) scrapes
 * a local 3-node cluster while socket.io clients chat through HAProxy (joins, sends,
 * a rate-limited sender, a few mistakes). Then every Grafana panel expression and every
 * alert expression must be valid PromQL, every panel must return data, and Prometheus
 * must evaluate every alert rule without error.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { stringify, parse } from "yaml";
import { freePorts, startCluster, type Cluster } from "../../scripts/cluster/index.js";
import { call, eventually, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, uniquePrefix } from "../helpers/node.js";
import { ROOT } from "./helpers.js";

const RULE_FILES = [path.join(ROOT, "deploy/prometheus/alerts.yml"), path.join(ROOT, "k8s/monitoring/alerts-kubernetes.yml")];
const DASHBOARD = JSON.parse(readFileSync(path.join(ROOT, "deploy/grafana/dashboards/chat-cluster.json"), "utf8"));

interface PanelTarget {
  panel: string;
  expr: string;
}

function panelTargets(): PanelTarget[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const panels: any[] = DASHBOARD.panels.flatMap((p: any) => (p.type === "row" ? (p.panels ?? []) : [p]));
  return panels.flatMap((p) => (p.targets ?? []).map((t: { expr: string }) => ({ panel: p.title, expr: t.expr })));
}

/** What Grafana does to an expression before sending it (the variables this dashboard uses). */
function interpolate(expr: string): string {
  const out = expr.replaceAll("$__rate_interval", "10s").replaceAll("$job", "chat");
  assert.ok(!out.includes("$"), `unknown variable left in ${out}`);
  return out;
}

function alertExprs(): { alert: string; expr: string }[] {
  return RULE_FILES.flatMap((f) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    parse(readFileSync(f, "utf8")).groups.flatMap((g: any) => g.rules.map((r: any) => ({ alert: r.alert, expr: r.expr }))),
  );
}

describe("dashboard and alerts on a live cluster scraped by Prometheus", () => {
  let db: TestDatabase;
  let cluster: Cluster | undefined;
  let prometheus: ChildProcess | undefined;
  let promExited: Promise<unknown> | undefined;
  let promLog = "";
  let promUrl = "";
  const tmp = mkdtempSync(path.join(os.tmpdir(), "chat-deploy-prom-"));
  const sockets: Socket[] = [];
  let start = 0;
  let trafficDone = false;
  let traffic: Promise<void> | undefined;
  const metricNames = new Set<string>();
  const outcomes: string[] = [];
  const spam: string[] = [];

  async function promApi(pathAndQuery: string) {
    const res = await fetch(`${promUrl}${pathAndQuery}`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body: any = await res.json();
    return { status: res.status, body };
  }

  function connect(url: string, username: string, transports: ("polling" | "websocket")[]): Promise<Socket> {
    const s = io(url, { auth: { username }, transports, withCredentials: true, reconnection: false, forceNew: true });
    sockets.push(s);
    return new Promise((resolve, reject) => {
      s.once("connect", () => resolve(s));
      s.once("connect_error", reject);
    });
  }

  /** Chat through HAProxy until told to stop: sends, joins, mistakes, a sender over its limit. */
  async function chat(c: Cluster) {
    const users = await Promise.all([
      connect(c.url, "ann", ["websocket"]),
      connect(c.url, "ben", ["polling", "websocket"]),
      connect(c.url, "cat", ["polling"]),
      connect(c.nodes[2]!.url, "dan", ["websocket"]),
    ]);
    for (const s of users) assert.equal((await call(s, "room:join", { room: "obs" })).ok, true);
    const spammer = await connect(c.url, "spam", ["websocket"]);
    assert.equal((await call(spammer, "room:join", { room: "obs" })).ok, true);
    let i = 0;
    while (!trafficDone) {
      i++;
      const acks = await Promise.all(users.map((s, k) => call(s, "message:send", { room: "obs", body: `hello ${i}`, clientId: `m-${k}-${i}` })));
      for (const a of acks) outcomes.push(a.ok ? "ok" : a.error.code);
      // A burst over RATE_LIMIT_SENDS per RATE_LIMIT_WINDOW_MS: some are rate_limited.
      for (let b = 0; b < 8; b++) {
        const a = await call(spammer, "message:send", { room: "obs", body: "spam", clientId: `spam-${i}-${b}` });
        spam.push(a.ok ? "ok" : a.error.code);
      }
      // Mistakes a real client makes: not_joined, invalid_payload, an unknown event.
      await call(users[0]!, "message:send", { room: "elsewhere", body: "x", clientId: `nj-${i}` });
      await call(users[1]!, "room:join", { room: "NOT A ROOM" });
      users[2]!.emit("no:such:event", {});
      await call(users[3]!, "room:history", { room: "obs", limit: 10 });
      // Regular users stay under the limit: at most one send per 300 ms each.
      await sleep(300);
    }
  }

  before(async () => {
    db = await createTestDatabase("deployobs");
    cluster = await startCluster({
      nodes: 3,
      port: 0,
      // As deployed: /metrics on each node's METRICS_PORT, which HAProxy does not forward.
      separateMetricsPorts: true,
      env: clusterEnv(db.url, uniquePrefix("obs"), { LOG_LEVEL: "warn", RATE_LIMIT_SENDS: "5", RATE_LIMIT_WINDOW_MS: "1000" }),
    });
    // The names the server really exposes, for the static cross-check below.
    const text = await (await fetch(`${cluster.nodes[0]!.metricsUrl}/metrics`)).text();
    const haproxyText = await (await fetch(`${cluster.statsUrl}metrics`)).text();
    // From the TYPE lines: a labelled counter has no sample before its first increment.
    for (const m of `${text}\n${haproxyText}`.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [, name, type] = m as unknown as [string, string, string];
      metricNames.add(name);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) metricNames.add(name + suffix);
    }

    const [port] = await freePorts(1);
    promUrl = `http://127.0.0.1:${port}`;
    const config = {
      global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      rule_files: RULE_FILES,
      scrape_configs: [
        { job_name: "chat", static_configs: [{ targets: cluster.nodes.map((n) => new URL(n.metricsUrl).host) }] },
        { job_name: "haproxy", static_configs: [{ targets: [new URL(cluster.statsUrl!).host] }] },
      ],
    };
    const configFile = path.join(tmp, "prometheus.yml");
    writeFileSync(configFile, stringify(config));
    start = Date.now() / 1000;
    prometheus = spawn(
      "prometheus",
      [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(tmp, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stdout!.on("data", (d) => (promLog += d));
    prometheus.stderr!.on("data", (d) => (promLog = (promLog + d).slice(-20_000)));
    promExited = new Promise((r) => prometheus!.on("exit", r));
    // If this process dies before after() runs, do not leave Prometheus behind.
    const child = prometheus;
    process.once("exit", () => child.exitCode === null && child.kill("SIGKILL"));
    await eventually(
      async () => {
        assert.equal(prometheus!.exitCode, null, `prometheus exited:\n${promLog}`);
        return (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200;
      },
      30_000,
      "Prometheus ready",
    );
    traffic = chat(cluster);
  });

  after(async () => {
    trafficDone = true;
    await traffic?.catch(() => undefined);
    for (const s of sockets) s.close();
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill("SIGTERM");
      await promExited;
    }
    await cluster?.stop();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test("the dashboard queries only metrics the server exposes, and covers what operators need", () => {
    const used = new Set<string>();
    for (const t of panelTargets()) {
      // Metric names, not label values such as proxy="chat_in".
      for (const m of t.expr.replace(/"[^"]*"/g, '""').matchAll(/\b((?:chat|process|nodejs|haproxy)_[a-z0-9_]+)\b/g)) used.add(m[1]!);
    }
    for (const name of used) assert.ok(metricNames.has(name), `${name} is exposed by /metrics`);
    for (const needed of [
      "chat_connected_sockets",
      "chat_messages_stored_total",
      "chat_event_duration_seconds_bucket",
      "chat_store_write_duration_seconds_bucket",
      "chat_events_total",
      "chat_rate_limited_total",
      "chat_presence_users",
      "chat_redis_up",
      "chat_db_up",
      "nodejs_eventloop_lag_p99_seconds",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "chat_deliveries_total",
      "chat_connections_opened_total",
      "chat_connections_closed_total",
      "chat_connections_refused_total",
      "chat_joins_total",
      "chat_db_pool_in_use",
      "chat_db_pool_max",
      "chat_db_pool_waiting",
      "chat_redis_command_duration_seconds_bucket",
      "chat_redis_pubsub_messages_total",
      "haproxy_frontend_current_sessions",
      "haproxy_frontend_http_responses_total",
      "haproxy_backend_active_servers",
    ]) {
      assert.ok(used.has(needed), `a panel shows ${needed}`);
    }
    for (const { alert, expr } of alertExprs()) {
      for (const m of expr.matchAll(/\b((?:chat|process|nodejs)_[a-z0-9_]+)\b/g)) {
        assert.ok(metricNames.has(m[1]!), `${alert}: ${m[1]} is exposed by /metrics`);
      }
    }
  });

  test("Prometheus scrapes all three nodes, each under its own node label", async () => {
    await eventually(
      async () => {
        const r = await promApi(`/api/v1/query?query=${encodeURIComponent('up{job="chat"} == 1')}`);
        return r.body.data.result.length === 3;
      },
      30_000,
      "3 chat targets up",
    );
    const r = await promApi(`/api/v1/query?query=${encodeURIComponent('chat_connected_sockets{job="chat"}')}`);
    assert.deepEqual(r.body.data.result.map((s: { metric: { node: string } }) => s.metric.node).sort(), ["node-1", "node-2", "node-3"]);
  });

  test("every alert expression is valid PromQL and every rule evaluates without error", async () => {
    for (const { alert, expr } of alertExprs()) {
      const r = await promApi(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      assert.equal(r.body.status, "success", `${alert}: ${JSON.stringify(r.body)}`);
    }
    const names = alertExprs().map((a) => a.alert);
    await eventually(
      async () => {
        const r = await promApi("/api/v1/rules");
        const rules = r.body.data.groups.flatMap((g: { rules: unknown[] }) => g.rules);
        return rules.length === names.length && rules.every((x: { lastEvaluation: string }) => !x.lastEvaluation.startsWith("0001"));
      },
      30_000,
      "every rule evaluated once",
    );
    const r = await promApi("/api/v1/rules");
    for (const rule of r.body.data.groups.flatMap((g: { rules: unknown[] }) => g.rules)) {
      assert.equal(rule.health, "ok", `${rule.name}: ${rule.lastError}`);
    }
    // A healthy cluster: the availability and error alerts stay inactive. (Latency alerts
    // are left out: a busy CI machine may lag; they only fire after minutes anyway.)
    const mustBeQuiet = ["ChatNoNodesUp", "ChatNodeDown", "ChatRedisDown", "ChatDatabaseDown", "ChatHighErrorRate"];
    let active: string[] = [];
    await eventually(
      async () => {
        const now = await promApi("/api/v1/rules");
        active = now.body.data.groups
          .flatMap((g: { rules: { name: string; state: string }[] }) => g.rules)
          .filter((x: { name: string; state: string }) => mustBeQuiet.includes(x.name) && x.state !== "inactive")
          .map((x: { name: string }) => x.name);
        return active.length === 0;
      },
      15_000,
      "availability alerts inactive",
    ).catch(() => assert.deepEqual(active, [], "alerts active on a healthy cluster"));
  });

  test("the traffic behaved: regular sends acked ok, the burst sender rate_limited", async () => {
    await eventually(() => outcomes.length >= 40 && spam.includes("rate_limited"), 30_000, "traffic under way");
    assert.deepEqual([...new Set(outcomes)], ["ok"]);
    assert.ok(spam.includes("ok") && spam.includes("rate_limited"));
  });

  test("every panel expression is valid PromQL and returns data from the running cluster", async () => {
    const targets = panelTargets();
    assert.ok(targets.length >= 20, `${targets.length} panel queries`);
    for (const t of targets) {
      const r = await promApi(`/api/v1/query?query=${encodeURIComponent(interpolate(t.expr))}`);
      assert.equal(r.body.status, "success", `${t.panel}: ${t.expr}: ${JSON.stringify(r.body)}`);
    }
    const empty = async () => {
      const missing: string[] = [];
      for (const t of targets) {
        const q = new URLSearchParams({ query: interpolate(t.expr), start: String(start), end: String(Date.now() / 1000), step: "1" });
        const r = await promApi(`/api/v1/query_range?${q}`);
        assert.equal(r.body.status, "success");
        const finite = r.body.data.result.some((s: { values: [number, string][] }) => s.values.some(([, v]) => Number.isFinite(Number(v))));
        if (!finite) missing.push(`${t.panel}: ${t.expr}`);
      }
      return missing;
    };
    let missing: string[] = [];
    await eventually(
      async () => {
        missing = await empty();
        return missing.length === 0;
      },
      60_000,
      "data in every panel",
    ).catch(() => assert.deepEqual(missing, [], "panels without data"));
  });
});
