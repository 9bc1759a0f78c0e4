/**
 * Kubernetes manifests: `kubectl kustomize` renders the base, both overlays and the
 * monitoring bundle, and the rendered objects agree with the server they deploy
 * (src/config.ts variables, port 3000, /readyz and /healthz, drain timing) and with
 * each other (selectors, ports, Secret and ConfigMap references).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config.js";
import { renderPrometheusRule, syncMonitoring } from "../../scripts/cluster/sync-monitoring.js";
import { durationMs, find, kustomize, one, ROOT, selects, type K8sObject } from "./helpers.js";

const NAMESPACE = "chat-cluster";
const SERVER_PORT = 3000;
const defaults = loadConfig({});

interface Rendered {
  name: string;
  objects: K8sObject[];
}
const variants: Rendered[] = ["base", "overlays/demo", "overlays/production"].map((name) => ({
  name,
  objects: kustomize(`k8s/${name}`),
}));

function chatDeployment(objects: K8sObject[]) {
  const dep = one(objects, "Deployment", "chat");
  const pod = dep.spec.template.spec;
  const container = pod.containers.find((c: K8sObject) => c.name === "chat");
  assert.ok(container, "container chat");
  return { dep, pod, container };
}

/** Resolves a probe/Service port (number or container port name) to a number. */
function resolvePort(container: K8sObject, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  return container.ports?.find((p: K8sObject) => p.name === port)?.containerPort;
}

/** The environment one chat pod gets: ConfigMaps and Secrets by envFrom, then env entries. */
function podEnv(objects: K8sObject[], container: K8sObject, secretFallback: (name: string, key: string) => string) {
  const env: Record<string, string> = {};
  const names = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = one(objects, "ConfigMap", from.configMapRef.name);
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        env[k] = String(v);
        names.add(k);
      }
    }
    if (from.secretRef) {
      const s = one(objects, "Secret", from.secretRef.name);
      for (const k of Object.keys({ ...s.data, ...s.stringData })) names.add(k);
    }
  }
  for (const e of container.env ?? []) {
    names.add(e.name);
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.fieldRef) env[e.name] = "chat-5d9c7b8f6-abcde";
    else if (e.valueFrom?.configMapKeyRef) {
      env[e.name] = one(objects, "ConfigMap", e.valueFrom.configMapKeyRef.name).data[e.valueFrom.configMapKeyRef.key];
    } else if (e.valueFrom?.secretKeyRef) {
      const { name, key, optional } = e.valueFrom.secretKeyRef;
      const secret = find(objects, "Secret", name)[0];
      const value = secret?.stringData?.[key] ?? (secret?.data?.[key] ? Buffer.from(secret.data[key], "base64").toString() : undefined);
      if (value !== undefined) env[e.name] = value;
      else if (!optional) env[e.name] = secretFallback(name, key);
    }
  }
  return { env, names };
}

for (const { name, objects } of variants) {
  describe(`k8s/${name}`, () => {
    test("renders the expected objects, all in the chat-cluster namespace", () => {
      for (const kind of ["Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"]) {
        assert.ok(find(objects, kind).length >= 1, `${kind} rendered`);
      }
      assert.equal(one(objects, "Namespace").metadata.name, NAMESPACE);
      for (const o of objects) {
        if (o.kind === "Namespace") continue;
        assert.equal(o.metadata.namespace, NAMESPACE, `${o.kind}/${o.metadata.name} namespace`);
      }
    });

    test("Deployment: 3 replicas, selector matches the pod, port 3000, probes on /readyz and /healthz", () => {
      const { dep, pod, container } = chatDeployment(objects);
      assert.equal(dep.spec.replicas, 3);
      assert.ok(selects(dep.spec.selector.matchLabels, dep.spec.template.metadata.labels), "selector selects the pod template");
      assert.deepEqual(
        container.ports.map((p: K8sObject) => p.containerPort),
        [SERVER_PORT, defaults.metricsPort],
      );
      assert.equal(defaults.port, SERVER_PORT, "the server's default PORT");
      for (const [probe, wanted] of [
        ["startupProbe", "/readyz"],
        ["readinessProbe", "/readyz"],
        ["livenessProbe", "/healthz"],
      ] as const) {
        const p = container[probe];
        assert.ok(p?.httpGet, `${probe} is an HTTP probe`);
        assert.equal(p.httpGet.path, wanted, `${probe} path`);
        assert.equal(resolvePort(container, p.httpGet.port), SERVER_PORT, `${probe} port`);
      }
      // A database outage makes /readyz fail; only /healthz may restart the pod.
      assert.notEqual(container.livenessProbe.httpGet.path, "/readyz");
      assert.equal(dep.spec.strategy.rollingUpdate.maxUnavailable, 0, "rollouts never drop below the replica count");
      assert.ok(pod.topologySpreadConstraints.length >= 1);
      for (const t of pod.topologySpreadConstraints) {
        assert.ok(selects(t.labelSelector.matchLabels, dep.spec.template.metadata.labels), `spread over ${t.topologyKey} selects the pods`);
      }
      assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
    });

    test("drain: terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_TIMEOUT_MS", () => {
      const { pod, container } = chatDeployment(objects);
      const { env } = podEnv(objects, container, externalSecret);
      const shutdownMs = loadConfig(env).shutdownTimeoutMs;
      const pre = container.lifecycle?.preStop;
      assert.ok(pre, "preStop hook");
      const sleepS = pre.sleep ? pre.sleep.seconds : Number(pre.exec.command.at(-1));
      assert.ok(Number.isFinite(sleepS) && sleepS > 0, `preStop sleeps (${JSON.stringify(pre)})`);
      if (pre.exec) assert.equal(pre.exec.command[0], "sleep");
      assert.ok(
        pod.terminationGracePeriodSeconds * 1000 > sleepS * 1000 + shutdownMs,
        `grace ${pod.terminationGracePeriodSeconds}s > preStop ${sleepS}s + SHUTDOWN_TIMEOUT_MS ${shutdownMs}ms`,
      );
    });

    test("security: non-root, read-only root, no privilege escalation, no capabilities, /tmp writable", () => {
      const { pod, container } = chatDeployment(objects);
      const sc = container.securityContext;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.deepEqual(sc.capabilities.drop, ["ALL"]);
      const tmp = container.volumeMounts.find((m: K8sObject) => m.mountPath === "/tmp");
      assert.ok(tmp, "/tmp mounted");
      assert.ok(pod.volumes.find((v: K8sObject) => v.name === tmp.name)?.emptyDir, "/tmp is an emptyDir");
      assert.equal(pod.automountServiceAccountToken, false);
    });

    test("every pod meets the namespace's Pod Security level (restricted)", () => {
      const ns = one(objects, "Namespace");
      assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
      for (const w of objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind))) {
        const pod = w.spec.template.spec;
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          const where = `${w.kind}/${w.metadata.name} ${c.name}`;
          assert.ok(c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, `${where}: runAsNonRoot`);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
          assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"], `${where}: drop ALL`);
          const seccomp = c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
          assert.ok(["RuntimeDefault", "Localhost"].includes(seccomp), `${where}: seccomp`);
          assert.ok(!pod.hostNetwork && !pod.hostPID && !c.securityContext?.privileged, `${where}: no host access`);
        }
      }
    });

    test("environment: every variable is a server variable and the whole set passes loadConfig", () => {
      const { container } = chatDeployment(objects);
      const { env, names } = podEnv(objects, container, externalSecret);
      const known = new Set(CONFIG_VARIABLES);
      for (const n of names) assert.ok(known.has(n), `${n} is in CONFIG_VARIABLES (src/config.ts)`);
      for (const cm of find(objects, "ConfigMap").filter((c) => c.metadata.name.startsWith("chat-config"))) {
        for (const k of Object.keys(cm.data)) assert.ok(known.has(k), `ConfigMap key ${k} is a server variable`);
      }
      for (const s of find(objects, "Secret", "chat-secrets")) {
        for (const k of Object.keys({ ...s.data, ...s.stringData })) assert.ok(known.has(k), `Secret key ${k} is a server variable`);
      }
      assert.ok(names.has("DATABASE_URL") && names.has("REDIS_URL"), "DATABASE_URL and REDIS_URL set");
      assert.ok(names.has("NODE_ID"), "NODE_ID names the pod");
      const cfg = loadConfig(env);
      assert.equal(cfg.port, SERVER_PORT);
      assert.equal(cfg.trustProxy, true, "behind ingress-nginx");
      assert.ok(cfg.databaseUrl && cfg.redisUrl);
    });

    test("migrations: an initContainer runs `main.js migrate` with the server's image, config and DATABASE_URL; the server only checks", () => {
      const { pod, container } = chatDeployment(objects);
      const init = (pod.initContainers ?? []).find((c: K8sObject) => c.name === "migrate");
      assert.ok(init, "initContainer migrate");
      assert.equal(init.image, container.image, "the same image as the server");
      assert.deepEqual(init.command, undefined, "the image's ENTRYPOINT (tini) stays");
      assert.deepEqual(init.args, ["node", "dist/main.js", "migrate"]);
      const server = podEnv(objects, container, externalSecret);
      const migrator = podEnv(objects, init, externalSecret);
      assert.equal(migrator.env.DATABASE_URL, server.env.DATABASE_URL, "the same database");
      assert.deepEqual(
        init.env.find((e: K8sObject) => e.name === "DATABASE_URL").valueFrom,
        container.env.find((e: K8sObject) => e.name === "DATABASE_URL").valueFrom,
        "DATABASE_URL from the same Secret key",
      );
      for (const n of migrator.names) assert.ok(CONFIG_VARIABLES.includes(n), `${n} is a server variable`);
      assert.ok(loadConfig(migrator.env).databaseUrl, "the migrator's environment passes loadConfig");
      assert.equal(loadConfig(server.env).migrateOnStart, false, "the server leaves migrating to the initContainer");
      for (const m of init.volumeMounts) assert.ok(pod.volumes.some((v: K8sObject) => v.name === m.name), `volume ${m.name}`);
    });

    test("Secrets the pod needs exist or are expected from outside, with the keys it reads", () => {
      const { container } = chatDeployment(objects);
      for (const e of container.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const secret = find(objects, "Secret", ref.name)[0];
        if (name === "overlays/production") {
          assert.equal(secret, undefined, "production commits no Secret");
          continue;
        }
        if (ref.optional) continue;
        assert.ok(secret, `Secret ${ref.name} rendered`);
        assert.ok(ref.key in { ...secret.data, ...secret.stringData }, `Secret ${ref.name} has ${ref.key}`);
      }
    });

    test("Service targets the container port and selects the pods", () => {
      const { dep, container } = chatDeployment(objects);
      const svc = one(objects, "Service", "chat");
      assert.ok(selects(svc.spec.selector, dep.spec.template.metadata.labels), "Service selects the chat pods");
      const metricsPort = loadConfig(podEnv(objects, container, externalSecret).env).metricsPort;
      for (const p of svc.spec.ports) {
        const want = p.name === "metrics" ? metricsPort : SERVER_PORT;
        assert.equal(resolvePort(container, p.targetPort), want, `Service port ${p.name} → ${want}`);
      }
      // The Service must not also select other workloads (the demo's PostgreSQL, Redis).
      for (const w of objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind) && o.metadata.name !== "chat")) {
        assert.ok(!selects(svc.spec.selector, w.spec.template.metadata.labels), `Service does not select ${w.metadata.name}`);
      }
    });

    test("Ingress: nginx, cookie affinity, timeouts above pingInterval + pingTimeout, routes to the Service", () => {
      const ing = one(objects, "Ingress", "chat");
      const svc = one(objects, "Service", "chat");
      const { container } = chatDeployment(objects);
      const { env } = podEnv(objects, container, externalSecret);
      const cfg = loadConfig(env);
      const a = ing.metadata.annotations;
      assert.equal(ing.spec.ingressClassName, "nginx");
      assert.equal(a["nginx.ingress.kubernetes.io/affinity"], "cookie");
      assert.ok(a["nginx.ingress.kubernetes.io/session-cookie-name"]);
      const heartbeat = cfg.pingIntervalMs + cfg.pingTimeoutMs;
      for (const k of ["proxy-read-timeout", "proxy-send-timeout"]) {
        const v = a[`nginx.ingress.kubernetes.io/${k}`];
        assert.ok(v && durationMs(v) > heartbeat, `${k} ${v} > ${heartbeat} ms`);
      }
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          assert.equal(p.backend.service.name, svc.metadata.name);
          const port = p.backend.service.port;
          assert.ok(svc.spec.ports.some((sp: K8sObject) => sp.name === port.name || sp.port === port.number), "Ingress port exists on the Service");
        }
      }
    });

    test("/metrics: on a port of its own that no Ingress path reaches and only the monitoring namespace may", () => {
      const { container } = chatDeployment(objects);
      const cfg = loadConfig(podEnv(objects, container, externalSecret).env);
      assert.ok(cfg.metricsPort !== 0 && cfg.metricsPort !== cfg.port, `METRICS_PORT ${cfg.metricsPort}, PORT ${cfg.port}`);
      assert.equal(resolvePort(container, "metrics"), cfg.metricsPort, "container port `metrics` is METRICS_PORT");
      // Every Ingress path lands on the app's port, where /metrics is not served.
      const svc = one(objects, "Service", "chat");
      for (const ing of find(objects, "Ingress")) {
        for (const rule of ing.spec.rules) {
          for (const p of rule.http.paths) {
            const port = p.backend.service.port;
            const sp = svc.spec.ports.find((x: K8sObject) => x.name === port.name || x.port === port.number);
            assert.equal(resolvePort(container, sp.targetPort), cfg.port, `Ingress ${p.path} → the app port only`);
          }
        }
      }
      // The NetworkPolicy admits the metrics port from the monitoring namespace alone.
      const np = one(objects, "NetworkPolicy", "chat");
      for (const rule of np.spec.ingress) {
        const ports = (rule.ports ?? []).map((p: K8sObject) => resolvePort(container, p.port));
        assert.ok(ports.length > 0, "every ingress rule names its ports");
        if (!ports.includes(cfg.metricsPort)) continue;
        const namespaces = rule.from.map((f: K8sObject) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"]);
        assert.deepEqual(namespaces, ["monitoring"], "the metrics port is open to Prometheus only");
      }
    });

    test("HPA, PDB and NetworkPolicy point at the chat pods", () => {
      const { dep, container } = chatDeployment(objects);
      const labels = dep.spec.template.metadata.labels;
      const hpa = one(objects, "HorizontalPodAutoscaler", "chat");
      assert.deepEqual(
        { kind: hpa.spec.scaleTargetRef.kind, name: hpa.spec.scaleTargetRef.name },
        { kind: "Deployment", name: dep.metadata.name },
      );
      assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.minReplicas <= hpa.spec.maxReplicas);
      assert.ok(hpa.spec.metrics.some((m: K8sObject) => m.resource?.name === "cpu"), "scales on CPU");
      assert.ok(container.resources.requests.cpu, "CPU utilisation needs a CPU request");
      const pdb = one(objects, "PodDisruptionBudget", "chat");
      assert.ok(selects(pdb.spec.selector.matchLabels, labels));
      assert.ok(pdb.spec.maxUnavailable === 1 || pdb.spec.minAvailable < dep.spec.replicas, "a drain can make progress");
      const np = one(objects, "NetworkPolicy", "chat");
      assert.ok(selects(np.spec.podSelector.matchLabels, labels));
      const inPorts = np.spec.ingress.flatMap((r: K8sObject) => r.ports ?? []);
      assert.ok(inPorts.some((p: K8sObject) => resolvePort(container, p.port) === SERVER_PORT), "ingress allowed on 3000");
      const outPorts = np.spec.egress.flatMap((r: K8sObject) => (r.ports ?? []).map((p: K8sObject) => p.port));
      for (const p of [53, 5432, 6379]) assert.ok(outPorts.includes(p), `egress to ${p}`);
    });
  });
}

describe("overlays", () => {
  const demo = variants.find((v) => v.name === "overlays/demo")!.objects;
  const prod = variants.find((v) => v.name === "overlays/production")!.objects;

  test("demo: in-cluster PostgreSQL and Redis that the Secret's URLs actually reach", () => {
    const secret = one(demo, "Secret", "chat-secrets").stringData;
    const db = new URL(secret.DATABASE_URL);
    const redis = new URL(secret.REDIS_URL);
    const sts = one(demo, "StatefulSet", "postgres");
    const pgSvc = one(demo, "Service", db.hostname);
    assert.ok(selects(pgSvc.spec.selector, sts.spec.template.metadata.labels), "postgres Service selects the StatefulSet");
    assert.equal(sts.spec.serviceName, pgSvc.metadata.name);
    assert.ok(pgSvc.spec.ports.some((p: K8sObject) => p.port === Number(db.port || 5432)));
    const pgCreds = one(demo, "Secret", "postgres-demo").stringData;
    assert.equal(db.username, pgCreds.POSTGRES_USER);
    assert.equal(db.password, pgCreds.POSTGRES_PASSWORD);
    assert.equal(db.pathname, `/${pgCreds.POSTGRES_DB}`);
    assert.ok(sts.spec.volumeClaimTemplates?.length === 1, "PostgreSQL keeps its data on a volume");
    const redisDep = one(demo, "Deployment", "redis");
    const redisSvc = one(demo, "Service", redis.hostname);
    assert.ok(selects(redisSvc.spec.selector, redisDep.spec.template.metadata.labels));
    assert.ok(redisSvc.spec.ports.some((p: K8sObject) => p.port === Number(redis.port || 6379)));
    const { container } = chatDeployment(demo);
    assert.equal(container.image, "chat-cluster:dev");
    assert.equal(container.imagePullPolicy, "Never", "a locally loaded image");
  });

  test("production: no Secret committed, a pinned image, JWT auth", () => {
    assert.equal(find(prod, "Secret").length, 0);
    const { container } = chatDeployment(prod);
    const [, tag] = container.image.split(/:(?=[^:/]+$)/);
    assert.ok(tag && tag !== "latest", `pinned tag, got ${container.image}`);
    const cm = find(prod, "ConfigMap").find((c) => c.metadata.name.startsWith("chat-config"))!;
    assert.equal(cm.data.AUTH_MODE, "jwt");
    assert.ok(one(prod, "Ingress", "chat").spec.tls?.length, "TLS");
  });

  test("production: the release image (kustomize images: IMAGE and TAG), the version package.json and CHANGELOG.md name", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const kustomization = parse(readFileSync(path.join(ROOT, "k8s/overlays/production/kustomization.yaml"), "utf8"));
    const [entry, ...others] = kustomization.images;
    assert.equal(others.length, 0);
    assert.equal(entry.name, "chat-cluster", "replaces the base's image name");
    // IMAGE: a registry host, an owner, the project's name; not a placeholder.
    assert.match(entry.newName, /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?\/[a-z0-9._-]+\/chat-cluster$/);
    assert.doesNotMatch(entry.newName, /example/);
    // TAG: this release, as package.json and the newest CHANGELOG.md entry say.
    assert.equal(entry.newTag, pkg.version);
    const changelog = readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
    assert.equal(/^## (\d+\.\d+\.\d+)/m.exec(changelog)?.[1], pkg.version, "CHANGELOG.md starts at this version");
    // Every container that runs chat-cluster (the Deployment, and any Job or init
    // container added later) gets the release image, none the bare base name.
    const release = `${entry.newName}:${entry.newTag}`;
    const ours = prod
      .flatMap((o) => {
        const pod = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
        return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
      })
      .filter((c: K8sObject) => /(^|\/)chat-cluster(:|@|$)/.test(c.image));
    assert.ok(ours.length > 0);
    for (const c of ours) assert.equal(c.image, release, `container ${c.name}`);
    // The image says what it is: MIT, as LICENSE and package.json.
    assert.equal(pkg.license, "MIT");
    assert.match(readFileSync(path.join(ROOT, "LICENSE"), "utf8"), /^MIT License\n\nCopyright \(c\) \d{4} chat-cluster contributors$/m);
    const dockerfile = readFileSync(path.join(ROOT, "deploy/Dockerfile"), "utf8");
    assert.match(dockerfile, /org\.opencontainers\.image\.licenses="MIT"/);
    assert.match(dockerfile, /org\.opencontainers\.image\.version="\$\{VERSION\}"/);
  });

  test("the ConfigMap name carries a content hash (config changes roll the pods)", () => {
    for (const { objects } of variants) {
      const name = find(objects, "ConfigMap").find((c) => c.metadata.name.startsWith("chat-config"))!.metadata.name;
      assert.match(name, /^chat-config-[a-z0-9]{10}$/);
      assert.equal(chatDeployment(objects).container.envFrom[0].configMapRef.name, name);
    }
  });
});

describe("k8s/monitoring", () => {
  const mon = kustomize("k8s/monitoring");
  const base = variants[0]!.objects;

  test("ServiceMonitor scrapes /metrics on the chat Service's metrics port", () => {
    const sm = one(mon, "ServiceMonitor", "chat");
    const svc = one(base, "Service", "chat");
    assert.ok(selects(sm.spec.selector.matchLabels, svc.metadata.labels), "selects Service chat");
    assert.ok(sm.spec.namespaceSelector.matchNames.includes(svc.metadata.namespace));
    const { container } = chatDeployment(base);
    const metricsPort = loadConfig(podEnv(base, container, externalSecret).env).metricsPort;
    for (const ep of sm.spec.endpoints) {
      assert.equal(ep.path, "/metrics");
      const sp = svc.spec.ports.find((p: K8sObject) => p.name === ep.port);
      assert.ok(sp, `endpoint port ${ep.port} on the Service`);
      assert.equal(resolvePort(container, sp.targetPort), metricsPort, "scraped on METRICS_PORT");
    }
    // Alerts and the dashboard select job="chat": the job label is the Service name.
    assert.equal(svc.metadata.name, "chat");
  });

  test("PrometheusRule carries deploy/prometheus/alerts.yml verbatim, plus the Kubernetes group", () => {
    assert.deepEqual(syncMonitoring(true), [], "k8s/monitoring copies are up to date (run scripts/cluster/sync-monitoring.ts)");
    const rule = one(mon, "PrometheusRule", "chat-cluster");
    const shared = parse(readFileSync(path.join(ROOT, "deploy/prometheus/alerts.yml"), "utf8"));
    assert.deepEqual(rule.spec.groups.slice(0, shared.groups.length), shared.groups);
    assert.deepEqual(rule.spec, parse(renderPrometheusRule()).spec);
    const alerts = rule.spec.groups.flatMap((g: K8sObject) => g.rules.map((r: K8sObject) => r.alert));
    for (const a of ["ChatNoReadyPods", "ChatHighErrorRate", "ChatEventLoopLagHigh", "ChatRedisDown", "ChatStoreWriteLatencyHigh"]) {
      assert.ok(alerts.includes(a), `alert ${a}`);
    }
  });

  test("Grafana dashboard ConfigMap for the sidecar holds deploy/grafana/dashboards/chat-cluster.json", () => {
    const cm = one(mon, "ConfigMap");
    assert.equal(cm.metadata.labels.grafana_dashboard, "1");
    const wanted = JSON.parse(readFileSync(path.join(ROOT, "deploy/grafana/dashboards/chat-cluster.json"), "utf8"));
    assert.deepEqual(JSON.parse(cm.data["chat-cluster.json"]), wanted);
  });
});

/** Values of a Secret that production creates out of band (not rendered). */
function externalSecret(_name: string, key: string): string {
  if (key === "DATABASE_URL") return "postgres://chat:x@db.internal:5432/chat";
  if (key === "REDIS_URL") return "rediss://:x@redis.internal:6380";
  throw new Error(`no stand-in for secret key ${key}`);
}
