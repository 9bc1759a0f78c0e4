/**
 * npx tsx loadtest/profile-summary.ts FILE.cpuprofile [--top 25] [--from S] [--to S]
 *
 * --from / --to keep only the samples taken between those seconds after the profile
 * started (a bench's sending window, without start-up and the connect storm).
 * Summarises a V8 CPU profile (node --cpu-prof, or npm run bench -- --cpu-prof): self
 * time per function and per package/module, so the hot path is visible without DevTools.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isEntryPoint } from "../scripts/entry-point.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarise(p: Profile, top = 25, window: { from?: number; to?: number } = {}): string {
  const self = new Map<number, number>();
  const fromUs = (window.from ?? 0) * 1e6;
  const toUs = (window.to ?? Infinity) * 1e6;
  let at = 0; // µs since the profile started
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    at += p.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    if (!t) continue;
    const url = n.callFrame.url;
    const short = url.replace(/^file:\/\//, "").replace(/^.*node_modules\//, "nm:").replace(/^.*\/(src|loadtest)\//, "$1/");
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${short ? `${short}:${n.callFrame.lineNumber + 1}` : ""}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    let mod = short || n.callFrame.functionName;
    const m = /^nm:((?:@[^/]+\/)?[^/]+)/.exec(short);
    if (m) mod = m[1]!;
    else if (short.startsWith("node:")) mod = "node:" + short.slice(5).split("/")[0];
    else if (/^(src|loadtest)\//.test(short)) mod = short;
    byModule.set(mod, (byModule.get(mod) ?? 0) + t);
  }
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
  const span = `${(p.endTime - p.startTime) / 1e6}`.slice(0, 6);
  const lines = [`total sampled ${(total / 1e6).toFixed(2)} s (profile spans ${span} s)`, "", "self time by module:"];
  for (const [k, v] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push("", "self time by function:");
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  return lines.join("\n");
}

if (isEntryPoint(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { top: { type: "string" }, from: { type: "string" }, to: { type: "string" } },
    allowPositionals: true,
  });
  const window = {
    from: values.from === undefined ? undefined : Number(values.from),
    to: values.to === undefined ? undefined : Number(values.to),
  };
  for (const f of positionals) {
    console.log(`== ${f}`);
    console.log(summarise(JSON.parse(readFileSync(f, "utf8")) as Profile, Number(values.top ?? 25), window));
  }
}
