import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { relativeTime } from "../state/format.js";
import { reactionViews } from "../state/rich.js";
import { en } from "./en.js";
import { LANGUAGES, pickLanguage, setLanguage, t, tParts } from "./index.js";

const UI = path.join(path.dirname(fileURLToPath(import.meta.url)), "../ui");

afterEach(() => setLanguage("en"));

describe("catalogues", () => {
  test("every language has exactly the English keys, with the same plural shape and placeholders", () => {
    const keys = Object.keys(en).sort();
    for (const [lang, cat] of Object.entries(LANGUAGES)) {
      assert.deepEqual(Object.keys(cat).sort(), keys, lang);
      for (const k of keys) {
        const a = en[k as keyof typeof en];
        const b = cat[k as keyof typeof en];
        assert.equal(typeof a, typeof b, `${lang} ${k}: plural in one, not the other`);
        const names = (e: unknown) => [...JSON.stringify(e).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        assert.deepEqual([...new Set(names(b))], [...new Set(names(a))], `${lang} ${k}: placeholders`);
        if (typeof b === "object") assert.ok(b.other, `${lang} ${k}: "other" form`);
      }
    }
  });

  test("t() fills params, picks plurals by the language's rules, and tParts() places elements", () => {
    assert.equal(t("app.dmWith", { name: "ann" }), "Conversation with ann");
    assert.equal(t("time.seconds", { count: 1 }), "1 second");
    assert.equal(t("time.seconds", { count: 3 }), "3 seconds");
    assert.deepEqual(tParts("app.servedBy", { node: { el: "strong" } }), ["Served by ", { el: "strong" }]);
    setLanguage("de");
    assert.equal(t("time.seconds", { count: 1 }), "1 Sekunde");
    assert.equal(t("time.seconds", { count: 2 }), "2 Sekunden");
    assert.deepEqual(tParts("search.resultsFor", { query: 7 }), ["Ergebnisse für ", 7]);
    const now = new Date(2025, 2, 3, 12, 0);
    assert.equal(relativeTime(new Date(2025, 2, 3, 11, 55).toISOString(), now), "vor 5 Min.");
    const m = { room: "r", seq: 1, user: "bob", body: "x", clientId: "c", createdAt: now.toISOString(), reactions: { "👍": ["me", "bob"] } };
    assert.equal(reactionViews(m, "me")[0]?.label, "👍 2 Reaktionen von dir und bob");
  });

  test("the browser's languages pick the first one spoken here, else English", () => {
    assert.equal(pickLanguage(["fr-FR", "de-AT", "en"]), "de");
    assert.equal(pickLanguage(["en-GB", "de"]), "en");
    assert.equal(pickLanguage(["ja"]), "en");
    assert.equal(pickLanguage([]), "en");
  });
});

/**
 * Text a person can read, written in a component instead of going through t(): JSX text,
 * text attributes, and string literals that look like words (capitalised, or two words).
 */
const TEXT_ATTRS = new Set(["aria-label", "title", "placeholder", "alt", "aria-description", "aria-valuetext", "label"]);
/** Literals that are not prose: key names, event names, and values a person never reads. */
const ALLOWED = new Set(["Escape", "Enter", "Tab", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
/** Calls whose string arguments are selectors or storage keys, not text. */
const CODE_CALLS = /^(querySelector|querySelectorAll|closest|matches|getElementById|addEventListener|removeEventListener|getItem|setItem|removeItem|t|tParts)$/;

function literalsIn(file: string): string[] {
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const where = (n: ts.Node) => `${path.basename(file)}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  // A selector list ("a[href], button") is code, not prose.
  const wordy = (s: string) => !ALLOWED.has(s) && !/^[a-z][\w\-[\]=':(), ]*$/.test(s) && (/^[A-Z][a-z]+/.test(s) || /[A-Za-z]{2,}(?: |[,.:!?] )[A-Za-z]{2,}/.test(s));
  const visit = (n: ts.Node, inCodeCall: boolean, inOtherAttr: boolean, inChild = false) => {
    // Inside `{...}` between tags, any word is shown: `{n === 1 ? "member" : "members"}`.
    if (ts.isJsxExpression(n) && (ts.isJsxElement(n.parent) || ts.isJsxFragment(n.parent))) inChild = true;
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    if (ts.isJsxText(n) && /[A-Za-z]{2,}/.test(n.text)) found.push(`${where(n)} text "${n.text.trim()}"`);
    if (ts.isJsxAttribute(n)) {
      const name = n.name.getText(src);
      const init = n.initializer;
      if (init && ts.isStringLiteral(init) && TEXT_ATTRS.has(name)) {
        if (/[A-Za-z]{2,}/.test(init.text)) found.push(`${where(n)} ${name}="${init.text}"`);
        return;
      }
      if (!TEXT_ATTRS.has(name)) {
        ts.forEachChild(n, (c) => visit(c, inCodeCall, true, inChild));
        return;
      }
    }
    if (ts.isCallExpression(n)) {
      const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : n.expression.getText(src);
      if (CODE_CALLS.test(callee)) {
        ts.forEachChild(n, (c) => visit(c, true, inOtherAttr, inChild));
        return;
      }
    }
    // `x === "Escape"`, `case "rooms":`: comparisons hold values, not text.
    if (ts.isBinaryExpression(n) && /===|!==/.test(n.operatorToken.getText(src))) return;
    if (ts.isCaseClause(n)) {
      n.statements.forEach((c) => visit(c, inCodeCall, inOtherAttr, inChild));
      return;
    }
    const isLiteral = ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n);
    if (isLiteral && !inCodeCall && !inOtherAttr && (wordy(n.text) || (inChild && /[A-Za-z]{2,}/.test(n.text)))) {
      found.push(`${where(n)} "${n.text}"`);
    }
    if (ts.isTemplateExpression(n) && !inCodeCall && !inOtherAttr) {
      const pieces = [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join(" ");
      if (wordy(pieces.trim()) || (inChild && /[A-Za-z]{2,}/.test(pieces))) found.push(`${where(n)} \`${pieces.trim()}\``);
    }
    ts.forEachChild(n, (c) => visit(c, inCodeCall, inOtherAttr, inChild));
  };
  visit(src, false, false);
  return found;
}

describe("client/src/ui has no English left outside the catalogue", () => {
  test("scan", () => {
    const files = fs.readdirSync(UI).filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."));
    assert.ok(files.length > 5);
    const found = files.flatMap((f) => literalsIn(path.join(UI, f)));
    assert.equal(found.length, 0, `English to move into i18n/en.ts:\n${found.join("\n")}`);
  });

  test("the scan finds what it should", () => {
    const tmp = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "i18n-")), "X.tsx");
    fs.writeFileSync(
      tmp,
      `export const A = () => <p title="Hello there">Welcome back{ok ? "Yes" : t("app.name")}{n === 1 ? "member" : "members"}<b aria-label={\`Two words \${n}\`} class="a b" /></p>;
       const ok = e.key === "Escape" && el.querySelector(".a b");`,
    );
    const found = literalsIn(tmp).map((s) => s.replace(/^X\.tsx:\d+ /, ""));
    assert.deepEqual(found, ['title="Hello there"', 'text "Welcome back"', '"Yes"', '"member"', '"members"', "`Two words`"]);
  });
});
