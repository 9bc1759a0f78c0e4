/** Shared helpers of the deployment tests: external tools, rendered manifests, label matching. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (no shell); `status` null when it could not start. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { status: null, stdout: "", stderr: String(r.error) };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool and fails the test with its output unless it exits 0. */
export function runOk(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(cmd, args, opts);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A Kubernetes object as rendered (loosely typed: tests read fields by path). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

let kustomizeChecked = false;

/** `kubectl kustomize <dir>`: every rendered object. */
export function kustomize(dir: string): K8sObject[] {
  if (!kustomizeChecked) {
    // The manifests use kustomize v5 features (labels, inline patches); Debian's
    // kubernetes-client 1.20 embeds kustomize v2 and cannot render them.
    const v = runOk("kubectl", ["version", "--client"]);
    const major = Number(/Kustomize Version: v(\d+)/.exec(v)?.[1] ?? 0);
    assert.ok(major >= 5, `kubectl with kustomize >= v5 needed (kubectl >= 1.27), got:\n${v}`);
    kustomizeChecked = true;
  }
  const out = runOk("kubectl", ["kustomize", path.join(ROOT, dir)]);
  const docs = parseAllDocuments(out);
  for (const d of docs) assert.equal(d.errors.length, 0, `${dir}: YAML errors ${d.errors.join(", ")}`);
  return docs.map((d) => d.toJS() as K8sObject).filter((o) => o && typeof o === "object");
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0]!;
}

/** Whether a matchLabels selector selects these labels. */
export function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!matchLabels || Object.keys(matchLabels).length === 0) return false;
  return Object.entries(matchLabels).every(([k, v]) => labels?.[k] === v);
}

/** A Go duration or plain seconds as milliseconds ("15s", "1m30s", "3600"). */
export function durationMs(value: string | number): number {
  if (typeof value === "number") return value * 1000;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let m: RegExpExecArray | null;
  let consumed = "";
  while ((m = re.exec(value))) {
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"];
    consumed += m[0];
  }
  assert.equal(consumed, value, `cannot parse duration ${value}`);
  return total;
}
