/**
 * The docs a newcomer reads stay true to the code: the README's configuration table lists
 * exactly the variables src/config.ts reads, and every relative link in README.md and
 * docs/ (with its #anchor) leads somewhere.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CONFIG_VARIABLES } from "../../src/config.js";

const REPO = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(REPO, file), "utf8");

test("the README's configuration table lists exactly the variables src/config.ts reads", () => {
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
  const listed = section
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .flatMap((l) => [...l.split("|")[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!));
  assert.deepEqual([...listed].sort(), [...CONFIG_VARIABLES].sort());
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"));
  }
  return out;
}

test("relative links in README.md and docs/ lead to files and headings that exist", () => {
  // docs/ and its folders (docs/bench-runs/ links back into benchmarks.md).
  const docs = fs.readdirSync(path.join(REPO, "docs"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md"));
  const files = ["README.md", "CHANGELOG.md", ...docs.map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const file of files) {
    const text = read(file).replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // http:, mailto:
      const [rel, anchor] = target!.split("#");
      const dest = rel ? path.join(path.dirname(file), rel) : file;
      if (!fs.existsSync(path.join(REPO, dest))) broken.push(`${file}: ${target} (no ${dest})`);
      else if (anchor && dest.endsWith(".md") && !anchors(read(dest)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor})`);
    }
  }
  assert.deepEqual(broken, []);
});
