/**
 * The shipped alerts fire for real and reach a receiver: a 2-node cluster on a private
 * PostgreSQL (started here on a spare port; the shared one is never touched), scraped by
 * a real Prometheus on each node's METRICS_PORT with deploy/prometheus/alerts.yml, routed
 * by a real Alertmanager with deploy/alertmanager/alertmanager.yml to a webhook in this test.
 * A node is SIGKILLed (ChatNodeDown), then PostgreSQL stops (ChatDatabaseDown).
 *
 * The test's copies change only what would make it slow: every rule's `for:` becomes 1s
 * and Alertmanager's group waits become 1s. Expressions, labels and routes are the shipped ones.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { parse, stringify } from "yaml";
import { freePorts, startCluster, type Cluster } from "../../scripts/cluster/index.js";
import { PrivatePostgres } from "../chaos/harness.js";
import { eventually } from "../helpers/client.js";
import { clusterEnv, uniquePrefix } from "../helpers/node.js";
import { ROOT, type K8sObject } from "./helpers.js";

const ALERTMANAGER = "prometheus-alertmanager";
const haveAlertmanager = spawnSync(ALERTMANAGER, ["--version"], { stdio: "ignore" }).status === 0;

const tmp = mkdtempSync(path.join(os.tmpdir(), "chat-deploy-alerts-"));
const children: ChildProcess[] = [];
let pgsrv: PrivatePostgres | undefined;
let cluster: Cluster | undefined;
let receiver: http.Server | undefined;
let promUrl = "";
let amUrl = "";
/** What the webhook receiver was told: alertname → statuses seen. */
const notified = new Map<string, Set<string>>();
const logs: Record<string, string> = {};

function launch(name: string, cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  logs[name] = "";
  const keep = (d: Buffer) => (logs[name] = ((logs[name] ?? "") + String(d)).slice(-10_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  children.push(child);
  // Should this process die before after() runs, leave nothing behind.
  process.once("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  return child;
}

async function ready(url: string, child: ChildProcess, name: string): Promise<void> {
  await eventually(
    async () => {
      assert.equal(child.exitCode, null, `${name} exited:\n${logs[name]}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    },
    30_000,
    `${name} ready`,
  );
}

/** The shipped rules with every `for:` at 1s. */
function fastRules(): string {
  const rules = parse(readFileSync(path.join(ROOT, "deploy/prometheus/alerts.yml"), "utf8"));
  for (const g of rules.groups) for (const r of g.rules) r.for = "1s";
  return stringify(rules);
}

/** The shipped Alertmanager routes, with the receiver pointed at this test and short waits. */
function testAlertmanagerConfig(webhook: string): string {
  const cfg = parse(readFileSync(path.join(ROOT, "deploy/alertmanager/alertmanager.yml"), "utf8"));
  const shorten = (route: K8sObject) => {
    for (const k of ["group_wait", "group_interval"]) if (route[k]) route[k] = "1s";
    for (const r of route.routes ?? []) shorten(r);
  };
  shorten(cfg.route);
  for (const r of cfg.receivers) r.webhook_configs = [{ url: webhook, send_resolved: true }];
  return stringify(cfg);
}

before(async () => {
  const [pgPort, promPort, amPort] = await freePorts(3);
  pgsrv = new PrivatePostgres(pgPort!);
  pgsrv.init();
  pgsrv.start();

  cluster = await startCluster({
    nodes: 2,
    port: 0,
    separateMetricsPorts: true,
    env: clusterEnv(pgsrv.url, uniquePrefix("alerts"), { LOG_LEVEL: "error" }),
  });

  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const msg = JSON.parse(body) as { alerts: { status: string; labels: { alertname: string } }[] };
      for (const a of msg.alerts) {
        if (!notified.has(a.labels.alertname)) notified.set(a.labels.alertname, new Set());
        notified.get(a.labels.alertname)!.add(a.status);
      }
      res.end();
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, "127.0.0.1", r));
  const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;

  if (haveAlertmanager) {
    amUrl = `http://127.0.0.1:${amPort}`;
    writeFileSync(path.join(tmp, "alertmanager.yml"), testAlertmanagerConfig(webhook));
    const am = launch("alertmanager", ALERTMANAGER, [
      `--config.file=${path.join(tmp, "alertmanager.yml")}`,
      `--storage.path=${path.join(tmp, "am")}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      "--cluster.listen-address=", // a single instance: no gossip port
    ]);
    await ready(amUrl, am, "alertmanager");
  }

  writeFileSync(path.join(tmp, "alerts.yml"), fastRules());
  const config: K8sObject = {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: [path.join(tmp, "alerts.yml")],
    scrape_configs: [{ job_name: "chat", static_configs: [{ targets: cluster.nodes.map((n) => new URL(n.metricsUrl).host) }] }],
  };
  if (haveAlertmanager) config.alerting = { alertmanagers: [{ static_configs: [{ targets: [new URL(amUrl).host] }] }] };
  writeFileSync(path.join(tmp, "prometheus.yml"), stringify(config));
  promUrl = `http://127.0.0.1:${promPort}`;
  const prom = launch("prometheus", "prometheus", [
    `--config.file=${path.join(tmp, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(tmp, "data")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ]);
  await ready(promUrl, prom, "prometheus");
});

after(async () => {
  for (const c of children) {
    if (c.exitCode !== null) continue;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  }
  await cluster?.stop();
  pgsrv?.destroy();
  receiver?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface PromAlert {
  state: string;
  labels: Record<string, string>;
}

async function promAlerts(): Promise<PromAlert[]> {
  const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
  return body.data.alerts;
}

async function firing(alertname: string, labels: Record<string, string> = {}): Promise<boolean> {
  return (await promAlerts()).some(
    (a) => a.state === "firing" && a.labels.alertname === alertname && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
  );
}

test("a killed node and an unreachable PostgreSQL fire their alerts, and Alertmanager delivers them", async (t) => {
  const c = cluster!;
  const [n1, n2] = c.nodes as [Cluster["nodes"][0], Cluster["nodes"][0]];
  // Healthy first: both targets up, neither alert pending or firing.
  await eventually(
    async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('up{job="chat"} == 1')}`)).json()) as {
        data: { result: unknown[] };
      };
      return r.data.result.length === 2;
    },
    30_000,
    "both nodes scraped",
  );
  const quiet = (await promAlerts()).filter((a) => ["ChatNodeDown", "ChatDatabaseDown"].includes(a.labels.alertname!));
  assert.deepEqual(quiet, [], "no availability alert on a healthy cluster");

  await n2.kill("SIGKILL");
  await eventually(() => firing("ChatNodeDown", { instance: new URL(n2.metricsUrl).host }), 30_000, "ChatNodeDown firing for node-2");

  // HAProxy's /readyz checks query the database every 2 s; the failed check sets chat_db_up 0.
  pgsrv!.stop("immediate");
  await eventually(() => firing("ChatDatabaseDown", { node: n1.id }), 30_000, "ChatDatabaseDown firing for node-1");
  assert.ok(!(await firing("ChatDatabaseDown", { node: n2.id })), "a dead node reports nothing");

  if (!haveAlertmanager) {
    t.diagnostic("prometheus-alertmanager not installed (apt-get install prometheus-alertmanager): delivery not checked");
    return;
  }
  await eventually(
    async () => {
      const list = (await (await fetch(`${amUrl}/api/v2/alerts?active=true`)).json()) as { labels: { alertname: string } }[];
      const names = new Set(list.map((a) => a.labels.alertname));
      return names.has("ChatNodeDown") && names.has("ChatDatabaseDown");
    },
    30_000,
    "both alerts in Alertmanager",
  );
  await eventually(
    () => notified.get("ChatNodeDown")?.has("firing") === true && notified.get("ChatDatabaseDown")?.has("firing") === true,
    30_000,
    `the receiver was notified of both: ${JSON.stringify([...notified].map(([k, v]) => [k, [...v]]))}`,
  );
});
