/**
 * axe-core (WCAG 2.1 A and AA rules) run inside the page under test. The engine is
 * evaluated through the DevTools protocol, which the page's CSP does not govern, so the
 * client ships nothing for it and the CSP checks of the other tests still hold.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fs from "node:fs";
import type { Page } from "playwright-core";

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * Rules whose findings are accepted, each with the reason. Keep this empty unless a
 * finding is wrong for this page: an entry silences the rule on every screen.
 */
export const KNOWN_EXCEPTIONS: ReadonlyArray<{ rule: string; why: string }> = [];

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe on the whole page and returns the serious and critical findings, minus the known exceptions. */
export async function axeFindings(page: Page): Promise<Finding[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === "object");
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Finding[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, TAGS);
  const excepted = new Set(KNOWN_EXCEPTIONS.map((e) => e.rule));
  return violations.filter((v) => (v.impact === "serious" || v.impact === "critical") && !excepted.has(v.id));
}

/** Fails with a readable list (rule, why, where) when the page has a serious or critical finding. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const found = await axeFindings(page);
  const text = found
    .map((v) => `- ${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    at ${JSON.stringify(n.target)}: ${n.failureSummary ?? ""}`).join("\n")}`)
    .join("\n");
  assert.deepEqual(found.map((v) => v.id), [], `axe on "${screen}":\n${text}`);
}
