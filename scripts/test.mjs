#!/usr/bin/env node
// Runs every *.test.ts under test/ and client/ with node's own test runner (tsx loads
// TypeScript). Folders given as arguments are searched too. Files run one at a time: many
// of them start several servers, and CI has two cores. Pass file paths or a
// --test-name-pattern to narrow the run. `npm test` runs scripts/test-setup.sh first (the
// programs and services the tests need); this runner assumes them.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

function find(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out = out.concat(find(p));
    else if (e.name.endsWith(".test.ts") || e.name.endsWith(".test.tsx")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith("-"));
const flags = args.filter((a) => a.startsWith("-"));
// Node 20's --test does not expand folders: a folder argument would run nothing.
const expand = (p) => (statSync(p, { throwIfNoEntry: false })?.isDirectory() ? find(p) : [p]);
const targets = (files.length > 0 ? files.flatMap(expand) : [...find("test"), ...find("client")]).sort();
if (targets.length === 0) {
  console.error(`no test files in ${files.join(" ") || "test/ client/"}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-timeout=300000", ...flags, ...targets],
  { stdio: "inherit" },
);
process.exit(r.status ?? 1);
