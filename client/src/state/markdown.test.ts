import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { completeEmoji, emojiCandidates, emojiFor, emojiQuery, insertAt, PICKER, SHORTCODE_COUNT } from "./emoji.js";
import { blocksText, MAX_FORMATTED, parseInline, parseMarkdown, plainText, type Block, type Inline } from "./markdown.js";

const md = (s: string) => parseMarkdown(s, "me");
const inl = (s: string) => parseInline(s, "me");
const text = (t: string): Inline => ({ t: "text", text: t });

/** Every href in a tree. */
function hrefs(blocks: Block[]): string[] {
  const out: string[] = [];
  const walk = (xs: Inline[]) => {
    for (const x of xs) {
      if (x.t === "link") out.push(x.href);
      if ("children" in x) walk(x.children);
    }
  };
  const blk = (bs: Block[]) => {
    for (const b of bs) {
      if (b.t === "para") walk(b.children);
      else if (b.t === "quote") blk(b.children);
      else if (b.t === "list") b.items.forEach(walk);
    }
  };
  blk(blocks);
  return out;
}

/** How deep emphasis nests. */
function depth(xs: Inline[]): number {
  return Math.max(0, ...xs.map((x) => ("children" in x ? 1 + depth(x.children) : 0)));
}

describe("markdown inline", () => {
  test("plain text is one text node, exactly as typed", () => {
    assert.deepEqual(md("hello there\n\nsecond line "), [{ t: "para", children: [text("hello there\n\nsecond line ")] }]);
  });

  test("bold, italic, strike and code", () => {
    assert.deepEqual(inl("a **b** c"), [text("a "), { t: "strong", children: [text("b")] }, text(" c")]);
    assert.deepEqual(inl("*i* and _j_"), [{ t: "em", children: [text("i")] }, text(" and "), { t: "em", children: [text("j")] }]);
    assert.deepEqual(inl("~~gone~~"), [{ t: "del", children: [text("gone")] }]);
    assert.deepEqual(inl("run `npm **ci**` now"), [text("run "), { t: "code", text: "npm **ci**" }, text(" now")]);
    assert.deepEqual(inl("``a ` b``"), [{ t: "code", text: "a ` b" }]);
  });

  test("nesting: bold inside italic, and ***both***", () => {
    assert.deepEqual(inl("*a **b** c*"), [{ t: "em", children: [text("a "), { t: "strong", children: [text("b")] }, text(" c")] }]);
    assert.deepEqual(inl("***x***"), [{ t: "strong", children: [{ t: "em", children: [text("x")] }] }]);
  });

  test("markers that do not open or close stay text", () => {
    assert.deepEqual(inl("2 * 3 * 4"), [text("2 * 3 * 4")]);
    assert.deepEqual(inl("snake_case_name and file_name"), [text("snake_case_name and file_name")]);
    assert.deepEqual(inl("**unclosed"), [text("**unclosed")]);
    assert.deepEqual(inl("`unclosed"), [text("`unclosed")]);
    assert.deepEqual(inl("~single~"), [text("~single~")]);
    assert.deepEqual(inl("\\*not\\*"), [text("*not*")]);
  });

  test("links: http(s) only, with underscores and stars inside kept", () => {
    assert.deepEqual(inl("see https://x.org/a_b_c."), [text("see "), { t: "link", text: "https://x.org/a_b_c", href: "https://x.org/a_b_c" }, text(".")]);
    assert.deepEqual(inl("**https://x.org**"), [{ t: "strong", children: [{ t: "link", text: "https://x.org", href: "https://x.org/" }] }]);
    assert.deepEqual(inl("javascript:alert(1) data:text/html,x"), [text("javascript:alert(1) data:text/html,x")]);
  });

  test("mentions, with me marked, and not inside e-mail addresses", () => {
    assert.deepEqual(inl("hi @me and @bob. a@b.c"), [
      text("hi "),
      { t: "mention", text: "@me", user: "me", me: true },
      text(" and "),
      { t: "mention", text: "@bob", user: "bob", me: false },
      text(". a@b.c"),
    ]);
    assert.deepEqual(inl("**@bob**"), [{ t: "strong", children: [{ t: "mention", text: "@bob", user: "bob", me: false }] }]);
  });

  test("shortcodes become emoji; unknown ones and times stay text", () => {
    assert.deepEqual(inl(":tada: at 10:30:45 :nope:"), [{ t: "emoji", text: "🎉", code: ":tada:" }, text(" at 10:30:45 :nope:")]);
    assert.deepEqual(inl(":+1::heart:"), [{ t: "emoji", text: "👍", code: ":+1:" }, { t: "emoji", text: "❤️", code: ":heart:" }]);
    assert.deepEqual(inl("`:tada:`"), [{ t: "code", text: ":tada:" }]);
    assert.equal(emojiFor("constructor"), undefined, "no prototype keys");
    assert.equal(emojiFor("__proto__"), undefined);
  });
});

describe("markdown blocks", () => {
  test("plainText reads a body without its markers", () => {
    assert.equal(plainText("**ship** it :tada:\n> said\n- a\n- b"), "ship it 🎉\nsaid\na\nb");
    assert.equal(plainText("plain  text\n\nkept"), "plain  text\n\nkept");
  });

  test("a fenced code block is kept verbatim, markers and tags included", () => {
    assert.deepEqual(md("look:\n```ts\nconst a = **1**; <b>\n  indented\n```\nafter"), [
      { t: "para", children: [text("look:")] },
      { t: "pre", text: "const a = **1**; <b>\n  indented" },
      { t: "para", children: [text("after")] },
    ]);
    assert.deepEqual(md("```\nunclosed"), [{ t: "pre", text: "unclosed" }]);
  });

  test("quotes, nested quotes and a quote holding a list", () => {
    assert.deepEqual(md("> said **this**\n> twice\nreply"), [
      { t: "quote", children: [{ t: "para", children: [text("said "), { t: "strong", children: [text("this")] }, text("\ntwice")] }] },
      { t: "para", children: [text("reply")] },
    ]);
    assert.deepEqual(md(">> deep"), [{ t: "quote", children: [{ t: "quote", children: [{ t: "para", children: [text("deep")] }] }] }]);
    assert.deepEqual(md("> - a"), [{ t: "quote", children: [{ t: "list", ordered: false, start: 1, items: [[text("a")]] }] }]);
  });

  test("bulleted and numbered lists", () => {
    assert.deepEqual(md("todo:\n- one\n* **two**\n\n3. three\n4) four"), [
      { t: "para", children: [text("todo:")] },
      { t: "list", ordered: false, start: 1, items: [[text("one")], [{ t: "strong", children: [text("two")] }]] },
      { t: "list", ordered: true, start: 3, items: [[text("three")], [text("four")]] },
    ]);
    assert.deepEqual(md("-not a list\n**bold**"), [{ t: "para", children: [text("-not a list\n"), { t: "strong", children: [text("bold")] }] }]);
  });
});

describe("markdown with hostile input", () => {
  test("HTML stays text and no link but http(s) exists", () => {
    const evil = `<img src=x onerror=alert(1)> <script>alert(2)</script> <a href="javascript:alert(3)">x</a> javascript:alert(4)`;
    const tree = md(evil);
    assert.equal(blocksText(tree), evil);
    assert.deepEqual(hrefs(tree), []);
    for (const s of ["[x](javascript:alert(1))", "JaVaScRiPt:alert(1)", "http://", "https://[", "vbscript:x", "<https://x.org>"]) {
      for (const h of hrefs(md(s))) assert.match(h, /^https?:\/\/[^/]/, s);
    }
  });

  test("deeply nested markers are bounded", () => {
    const nested = "*_".repeat(200) + "x" + "_*".repeat(200);
    const tree = parseInline(nested, "me");
    assert.ok(depth(tree) <= 4, `depth ${depth(tree)}`);
    assert.ok(blocksText([{ t: "para", children: tree }]).includes("x"));
    const stacked = "**".repeat(300) + "x" + "**".repeat(300);
    assert.ok(depth(parseInline(stacked, "me")) <= 4);
    assert.equal(blocksText(md(">".repeat(500) + " deep")).length > 0, true);
  });

  test("pathological inputs take bounded time", () => {
    const inputs = [
      "*a ".repeat(6000),
      "**a ".repeat(5000),
      "_a ".repeat(6000),
      "`".repeat(3000) + "a" + "``".repeat(3000),
      "` ".repeat(10000),
      "~~a ".repeat(5000),
      "> ".repeat(10000),
      "- a\n".repeat(5000),
      "```\n".repeat(5000),
      ":a".repeat(10000),
      "@".repeat(20000),
      "https://x.org/".repeat(1500),
      "x".repeat(MAX_FORMATTED + 1) + "**b**",
    ];
    for (const s of inputs) {
      const started = process.hrtime.bigint();
      const tree = md(s);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(tree.length > 0);
      // Generous: a quadratic parser takes seconds here, a linear one a few milliseconds.
      assert.ok(ms < 500, `${s.slice(0, 12)}... took ${ms} ms`);
    }
  });

  test("over the size limit: no formatting, links still work", () => {
    const long = "**b** https://x.org " + "y".repeat(MAX_FORMATTED);
    const [first] = md(long);
    assert.equal(first?.t, "para");
    assert.deepEqual(hrefs(md(long)), ["https://x.org/"]);
    assert.equal(blocksText(md(long)), long);
  });
});

describe("emoji", () => {
  test("the table stays compact and the picker only shows known shortcodes", () => {
    assert.ok(SHORTCODE_COUNT > 100 && SHORTCODE_COUNT <= 500, String(SHORTCODE_COUNT));
    for (const p of PICKER) assert.equal(emojiFor(p.code), p.emoji);
  });

  test(": autocomplete finds, offers and completes", () => {
    assert.deepEqual(emojiQuery("nice :ta", 8), { start: 5, prefix: "ta" });
    assert.equal(emojiQuery("nice :t", 7), undefined, "two characters at least");
    assert.equal(emojiQuery("at 10:30", 8), undefined, "not after a digit");
    assert.equal(emojiCandidates("tad")[0]?.emoji, "🎉");
    assert.ok(emojiCandidates("heart").length <= 6);
    assert.deepEqual(completeEmoji("nice :ta!", 8, { start: 5, prefix: "ta" }, "🎉"), { text: "nice 🎉 !", caret: 8 });
    assert.deepEqual(completeEmoji("nice :tada: x", 8, { start: 5, prefix: "ta" }, "🎉"), { text: "nice 🎉 x", caret: 8 });
    assert.deepEqual(insertAt("ab", 1, 1, "🎉"), { text: "a🎉b", caret: 3 });
  });
});
