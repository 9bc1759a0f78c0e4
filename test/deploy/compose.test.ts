/**
 * docker compose, the image and the monitoring files, without a Docker engine:
 * `docker-compose config` validates the file against the Compose schema, and the
 * normalised result is cross-checked with the server's configuration, the HAProxy,
 * Prometheus and Grafana files it mounts, and the Dockerfile. promtool checks the
 * Prometheus configuration and the alert rules (including their unit tests).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "yaml";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config.js";
import { freePorts } from "../../scripts/cluster/index.js";
import { eventually } from "../helpers/client.js";
import { durationMs, ROOT, run, runOk, type K8sObject } from "./helpers.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "chat-deploy-compose-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function composeConfig(file: string): { status: number | null; out: string; err: string } {
  const r = run("docker-compose", ["-f", file, "config"], { env: { ...process.env, DOCKER_HOST: "unix:///nonexistent.sock" } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** Volume mounts in either syntax (docker-compose 1.x prints "src:dst:mode", v2 objects). */
function mounts(service: K8sObject): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v: K8sObject | string) => {
    if (typeof v !== "string") return { source: v.source, target: v.target };
    const [source, target] = v.split(":");
    return { source: source!, target: target! };
  });
}

describe("docker-compose.yml", () => {
  const file = path.join(ROOT, "docker-compose.yml");
  const r = composeConfig(file);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cfg: Record<string, any> = r.status === 0 ? parse(r.out) : {};
  const svc = cfg.services ?? {};

  test("docker-compose config accepts it (schema, without an engine)", () => {
    assert.equal(r.status, 0, r.err);
    runOk("docker-compose", ["-f", file, "config", "-q"]);
  });

  test("docker-compose config does reject a broken file (the check above means something)", () => {
    const bad = path.join(tmp, "bad.yml");
    const text = readFileSync(file, "utf8").replace("condition: service_healthy", "condition: when_it_feels_like_it");
    writeFileSync(bad, text);
    const b = composeConfig(bad);
    assert.notEqual(b.status, 0, "an invalid depends_on condition must fail validation");
  });

  test("services: postgres, redis, 3 app replicas, haproxy :8080, prometheus, alertmanager, grafana :3001", () => {
    for (const s of ["postgres", "redis", "app", "haproxy", "prometheus", "alertmanager", "grafana"]) assert.ok(svc[s], `service ${s}`);
    assert.equal(svc.app.deploy.replicas, 3);
    assert.equal(svc.app.container_name, undefined, "replicas cannot share a container name");
    assert.equal(svc.app.ports, undefined, "replicas publish no port; clients go through HAProxy");
    const published = (s: string) => (svc[s].ports ?? []).map((p: K8sObject | string) => (typeof p === "string" ? p : `${p.published}:${p.target}`));
    assert.ok(published("haproxy").includes("8080:8080"), `haproxy ports ${published("haproxy")}`);
    assert.ok(published("grafana").includes("3001:3000"), `grafana ports ${published("grafana")}`);
    for (const [name, s] of Object.entries(svc) as [string, K8sObject][]) {
      if (name !== "migrate") assert.ok(s.healthcheck?.test, `${name} has a healthcheck`); // a one-shot
    }
    const pgData = mounts(svc.postgres).find((m) => m.target.startsWith("/var/lib/postgresql"));
    assert.ok(pgData && cfg.volumes && pgData.source in cfg.volumes, "PostgreSQL data on a named volume");
  });

  test("depends_on waits for health: app on postgres and redis, haproxy on app", () => {
    assert.equal(svc.app.depends_on.postgres.condition, "service_healthy");
    assert.equal(svc.app.depends_on.redis.condition, "service_healthy");
    assert.equal(svc.haproxy.depends_on.app.condition, "service_healthy");
    assert.ok(svc.grafana.depends_on.prometheus);
  });

  test("migrate: a one-shot of the app's image and DATABASE_URL that the app replicas wait for", () => {
    const m = svc.migrate;
    assert.ok(m, "service migrate");
    assert.equal(m.image, svc.app.image, "the app's image");
    assert.deepEqual(m.build, svc.app.build, "built the same way");
    assert.deepEqual(m.command, ["node", "dist/main.js", "migrate"]);
    assert.equal(m.environment.DATABASE_URL, svc.app.environment.DATABASE_URL, "the app's database");
    for (const k of Object.keys(m.environment)) assert.ok(CONFIG_VARIABLES.includes(k), `${k} is in CONFIG_VARIABLES`);
    assert.ok(loadConfig(m.environment).databaseUrl);
    assert.equal(m.depends_on.postgres.condition, "service_healthy");
    assert.ok(["no", undefined].includes(m.restart), "runs once");
    assert.equal(svc.app.depends_on.migrate.condition, "service_completed_successfully");
    assert.equal(loadConfig(svc.app.environment).migrateOnStart, false, "the replicas leave migrating to it");
  });

  test("app environment: server variables only, valid for loadConfig, URLs reach the postgres and redis services", () => {
    const env: Record<string, string> = svc.app.environment;
    const known = new Set(CONFIG_VARIABLES);
    for (const k of Object.keys(env)) assert.ok(known.has(k), `${k} is in CONFIG_VARIABLES`);
    const c = loadConfig(env);
    assert.equal(c.trustProxy, true, "behind HAProxy");
    const db = new URL(c.databaseUrl!);
    assert.equal(db.hostname, "postgres");
    assert.equal(db.port || "5432", "5432");
    const pg = svc.postgres.environment;
    assert.equal(db.username, pg.POSTGRES_USER);
    assert.equal(db.password, pg.POSTGRES_PASSWORD);
    assert.equal(db.pathname, `/${pg.POSTGRES_DB}`);
    assert.equal(new URL(c.redisUrl!).hostname, "redis");
    // Docker waits stop_grace_period after SIGTERM before SIGKILL: the drain must fit.
    assert.ok(durationMs(svc.app.stop_grace_period) > c.shutdownTimeoutMs, `stop_grace_period ${svc.app.stop_grace_period} > ${c.shutdownTimeoutMs} ms`);
    assert.ok(svc.app.healthcheck.test.join(" ").includes(`:${c.port}/healthz`), "healthcheck on the server's port and /healthz");
  });

  test("haproxy reads the shared base and the compose backend, which targets the app service", () => {
    const mount = mounts(svc.haproxy).find((v) => v.target === "/usr/local/etc/haproxy");
    assert.ok(mount, "deploy/haproxy mounted");
    assert.equal(path.resolve(mount!.source), path.join(ROOT, "deploy/haproxy"));
    const files = svc.haproxy.command.filter((a: string) => a.startsWith("/usr/local/etc/haproxy/"));
    assert.deepEqual(files, ["/usr/local/etc/haproxy/haproxy.cfg", "/usr/local/etc/haproxy/backend.compose.cfg"]);
    for (const f of files) assert.ok(existsSync(path.join(ROOT, "deploy/haproxy", path.basename(f))), `${f} exists`);
    const backend = readFileSync(path.join(ROOT, "deploy/haproxy/backend.compose.cfg"), "utf8");
    const port = loadConfig(svc.app.environment).port;
    assert.match(backend, new RegExp(`server-template \\S+ \\d+-\\d+ app:${port} `), "server-template over the app service");
    assert.match(backend, /nameserver \S+ 127\.0\.0\.11:53/, "Docker's embedded DNS");
    assert.equal(svc.haproxy.environment.HAPROXY_BIND, ":8080");
  });

  test("prometheus mounts deploy/prometheus and discovers the app replicas by DNS", () => {
    const mount = mounts(svc.prometheus).find((v) => v.target === "/etc/prometheus");
    assert.equal(path.resolve(mount!.source), path.join(ROOT, "deploy/prometheus"));
    const prom = parse(readFileSync(path.join(ROOT, "deploy/prometheus/prometheus.yml"), "utf8"));
    const job = prom.scrape_configs.find((j: K8sObject) => j.job_name === "chat");
    assert.ok(job, "scrape job chat (the job the alerts and the dashboard select)");
    assert.equal(job.metrics_path ?? "/metrics", "/metrics");
    assert.deepEqual(job.dns_sd_configs[0].names, ["app"]);
    // The app's metrics port: /metrics is not on the port HAProxy forwards to.
    const app = loadConfig(svc.app.environment);
    assert.notEqual(app.metricsPort, 0, "METRICS_PORT set: /metrics off the public port");
    assert.notEqual(app.metricsPort, app.port);
    assert.equal(job.dns_sd_configs[0].port, app.metricsPort);
    assert.ok(svc.app.expose.map(String).includes(String(app.metricsPort)), "the metrics port is exposed to the compose network");
    const backend = readFileSync(path.join(ROOT, "deploy/haproxy/backend.compose.cfg"), "utf8");
    assert.doesNotMatch(backend, new RegExp(`:${app.metricsPort}\\b`), "HAProxy never forwards to the metrics port");
    for (const f of prom.rule_files) assert.ok(existsSync(path.join(ROOT, "deploy/prometheus", f)), `rule file ${f}`);
    const hp = prom.scrape_configs.find((j: K8sObject) => j.job_name === "haproxy");
    assert.deepEqual(hp.static_configs[0].targets, [`haproxy:${svc.haproxy.environment.HAPROXY_STATS_BIND.split(":").at(-1)}`]);
  });

  test("alertmanager: Prometheus sends alerts to it; its configuration is valid and routes to a receiver", () => {
    const prom = parse(readFileSync(path.join(ROOT, "deploy/prometheus/prometheus.yml"), "utf8"));
    const am = svc.alertmanager;
    const port = Number(/:(\d+)$/.exec(prom.alerting.alertmanagers[0].static_configs[0].targets[0])?.[1]);
    assert.deepEqual(prom.alerting.alertmanagers[0].static_configs[0].targets, [`alertmanager:${port}`]);
    assert.ok(am.ports.some((p: K8sObject | string) => (typeof p === "string" ? p.endsWith(`:${port}`) : p.target === port)));
    const mount = mounts(am).find((v) => v.target === "/etc/alertmanager");
    assert.equal(path.resolve(mount!.source), path.join(ROOT, "deploy/alertmanager"));
    assert.ok(am.command.includes("--config.file=/etc/alertmanager/alertmanager.yml"));
    runOk("amtool", ["check-config", path.join(ROOT, "deploy/alertmanager/alertmanager.yml")]);
    const cfg = parse(readFileSync(path.join(ROOT, "deploy/alertmanager/alertmanager.yml"), "utf8"));
    assert.ok(cfg.receivers.some((r: K8sObject) => r.name === cfg.route.receiver), "the default route names a receiver");
  });

  test("grafana: provisioned Prometheus data source and the chat-cluster home dashboard", () => {
    const volumes = mounts(svc.grafana);
    const prov = volumes.find((v) => v.target === "/etc/grafana/provisioning");
    const dash = volumes.find((v) => v.target === "/var/lib/grafana/dashboards");
    assert.equal(path.resolve(prov!.source), path.join(ROOT, "deploy/grafana/provisioning"));
    assert.equal(path.resolve(dash!.source), path.join(ROOT, "deploy/grafana/dashboards"));
    const ds = parse(readFileSync(path.join(ROOT, "deploy/grafana/provisioning/datasources/prometheus.yml"), "utf8"));
    assert.equal(ds.datasources[0].type, "prometheus");
    assert.equal(ds.datasources[0].url, "http://prometheus:9090");
    assert.ok(svc.prometheus.ports.some((p: K8sObject) => p.target === 9090));
    const providers = parse(readFileSync(path.join(ROOT, "deploy/grafana/provisioning/dashboards/chat-cluster.yml"), "utf8"));
    assert.equal(providers.providers[0].options.path, dash!.target);
    const home: string = svc.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    assert.equal(path.dirname(home), dash!.target);
    const homeFile = path.join(ROOT, "deploy/grafana/dashboards", path.basename(home));
    assert.equal(JSON.parse(readFileSync(homeFile, "utf8")).uid, "chat-cluster");
  });
});

describe("deploy/Dockerfile", () => {
  const text = readFileSync(path.join(ROOT, "deploy/Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => !l.trim().startsWith("#"));
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));

  test("multi-stage on node:24-slim: npm ci + build, runtime with production dependencies only", () => {
    assert.match(text, /^ARG NODE_IMAGE=node:24-slim$/m);
    const stages = lines.filter((l) => /^FROM /.test(l));
    assert.ok(stages.length >= 2, "multi-stage");
    for (const s of stages) assert.match(s, /^FROM \$\{NODE_IMAGE\} AS \w+$/);
    assert.match(text, /RUN .*npm ci\s*$/m);
    assert.match(text, /RUN npm run build$/m);
    assert.match(text, /npm ci --omit=dev/);
    assert.ok(pkg.scripts.build.includes("build:server") && pkg.scripts.build.includes("build:client"));
    assert.ok(pkg.scripts["build:server"].includes("tsc -p tsconfig.build.json") && pkg.scripts["build:server"].includes("build:sql"));
    const build = JSON.parse(readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8"));
    assert.equal(build.compilerOptions.outDir, "dist");
    assert.equal(build.compilerOptions.rootDir, "src");
    assert.ok(existsSync(path.join(ROOT, "src/main.ts")), "dist/main.js comes from src/main.ts");
    assert.match(text, /COPY --from=build \S* ?\/app\/dist \.\/dist/);
    assert.match(text, /COPY --from=build \S* ?\/app\/client\/dist \.\/client\/dist/, "client built in");
  });

  test("runtime: non-root, tini as PID 1, HEALTHCHECK on /healthz, node dist/main.js", () => {
    const users = lines.filter((l) => /^USER /.test(l));
    assert.ok(users.length > 0 && !/^USER (root|0)\b/.test(users.at(-1)!), `runs as ${users.at(-1)}`);
    assert.match(text, /^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    assert.match(text, /^CMD \["node", "dist\/main\.js"\]$/m);
    assert.match(text, /HEALTHCHECK [\s\S]*?\/healthz/);
    const defaults = loadConfig({});
    assert.match(text, new RegExp(`^EXPOSE ${defaults.port} ${defaults.metricsPort}$`, "m"));
  });

  test("everything src/ imports at runtime is a production dependency (npm ci --omit=dev)", () => {
    const deps = new Set(Object.keys(pkg.dependencies));
    const missing = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) {
          const src = readFileSync(p, "utf8");
          for (const m of src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^".][^"]*)"/gm)) {
            const spec = m[1]!;
            if (spec.startsWith("node:")) continue;
            const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
            if (!deps.has(name)) missing.add(`${name} (${path.relative(ROOT, p)})`);
          }
        }
      }
    };
    walk(path.join(ROOT, "src"));
    assert.deepEqual([...missing], []);
  });

  test("the build stage's COPY set is enough: npm run build, the CMD's migrate finds the SQL, the CMD serves and its HEALTHCHECK passes", async () => {
    // Without Docker: copy what the build stage copies into an empty directory (minus
    // what .dockerignore drops), build there, and run the runtime's CMD and HEALTHCHECK.
    const ctx = mkdtempSync(path.join(os.tmpdir(), "chat-deploy-image-"));
    try {
      const build = text.slice(text.indexOf(" AS build"), text.indexOf("\nFROM ", text.indexOf(" AS build")));
      const sources = [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
      assert.ok(sources.includes("src") && sources.includes("client"), `build stage copies ${sources}`);
      for (const src of sources) {
        cpSync(path.join(ROOT, src), path.join(ctx, src), {
          recursive: true,
          filter: (f) => !/(^|\/)(node_modules|dist|\.data)(\/|$)/.test(path.relative(ROOT, f)),
        });
      }
      symlinkSync(path.join(ROOT, "node_modules"), path.join(ctx, "node_modules"));
      runOk("npm", ["run", "build", "--silent"], { cwd: ctx });
      assert.ok(existsSync(path.join(ctx, "dist/main.js")), "dist/main.js");
      assert.ok(existsSync(path.join(ctx, "client/dist/index.html")), "client/dist/index.html");

      const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(text)![1]!) as string[];
      const health = JSON.parse(/HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])$/m.exec(text)![1]!) as string[];
      assert.equal(cmd[0], "node");
      assert.equal(health[0], "node");
      const [port] = await freePorts(1);
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", PORT: String(port), METRICS_PORT: "0", DATA_DIR: path.join(ctx, "data"), LOG_LEVEL: "warn" };
      for (const k of ["DATABASE_URL", "REDIS_URL"]) delete env[k];
      // The SQL migrations are not TypeScript: the build copies them next to dist/store.
      const sqlDir = (root: string) => readdirSync(path.join(root, "store/sql/migrations"));
      assert.deepEqual(sqlDir(path.join(ctx, "dist")), sqlDir(path.join(ROOT, "src")));
      const migrated = run(process.execPath, [...cmd.slice(1), "migrate"], { cwd: ctx, env: { ...env, LOG_LEVEL: "info" } });
      assert.equal(migrated.status, 0, `node dist/main.js migrate: ${migrated.stdout}${migrated.stderr}`);
      assert.match(migrated.stdout, /"applied":\["001_init",.*migrations applied/);
      const server = spawn(process.execPath, cmd.slice(1), { cwd: ctx, env, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      server.stderr.on("data", (d) => (err += d));
      const exited = new Promise<number | null>((r) => server.on("exit", (code) => r(code)));
      try {
        await eventually(
          () => {
            assert.equal(server.exitCode, null, `node dist/main.js exited: ${err}`);
            return run(process.execPath, health.slice(1), { cwd: ctx, env }).status === 0;
          },
          60_000,
          "the image's HEALTHCHECK command passes",
        );
        const page = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<html/i, "the built client is served");
        server.kill("SIGTERM");
        assert.equal(await exited, 0, "SIGTERM drains and exits 0");
        // And the HEALTHCHECK fails once nothing serves.
        assert.notEqual(run(process.execPath, health.slice(1), { cwd: ctx, env }).status, 0);
      } finally {
        if (server.exitCode === null) server.kill("SIGKILL");
      }
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });

  test(".dockerignore keeps local state and build output out of the context", () => {
    const ignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
    for (const p of ["**/node_modules", ".git", ".data", "**/dist", "**/.env"]) assert.ok(ignore.includes(p), `${p} ignored`);
    for (const needed of ["src", "client", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"]) {
      assert.ok(!ignore.includes(needed), `${needed} is needed by the build`);
    }
  });
});

describe("Prometheus files (promtool)", () => {
  test("prometheus.yml and its rule files are valid", () => {
    runOk("promtool", ["check", "config", path.join(ROOT, "deploy/prometheus/prometheus.yml")]);
  });
  test("alert rules are valid, shared and Kubernetes-only", () => {
    runOk("promtool", ["check", "rules", path.join(ROOT, "deploy/prometheus/alerts.yml")]);
    runOk("promtool", ["check", "rules", path.join(ROOT, "k8s/monitoring/alerts-kubernetes.yml")]);
  });
  test("alert unit tests: each alert fires on its failure and stays quiet on a healthy cluster", () => {
    const out = runOk("promtool", ["test", "rules", path.join(ROOT, "deploy/prometheus/alerts.test.yml")]);
    assert.match(out, /SUCCESS/);
    const tested = readFileSync(path.join(ROOT, "deploy/prometheus/alerts.test.yml"), "utf8");
    const rules = parse(readFileSync(path.join(ROOT, "deploy/prometheus/alerts.yml"), "utf8"));
    for (const r of rules.groups.flatMap((g: K8sObject) => g.rules)) {
      if (["ChatNodeDown", "ChatSendLatencyHigh"].includes(r.alert)) continue; // plain thresholds
      assert.match(tested, new RegExp(`alertname: ${r.alert}\\b[\\s\\S]*?exp_alerts:\\s*\\n\\s*- exp_labels`), `${r.alert} has a firing test`);
    }
  });
});
