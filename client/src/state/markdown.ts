/**
 * A small Markdown subset for message bodies, parsed into a tree the view renders as Preact
 * elements (never HTML): **bold**, *italic* / _italic_, ~~strike~~, `code`, fenced code
 * blocks, > quotes, - and 1. lists, http(s) links, `@name` mentions and `:shortcode:` emoji.
 * Anything else, HTML tags included, stays text. The body on the wire is what was typed:
 * formatting happens only here, on render.
 *
 * Work is bounded: blocks are one pass over the lines (quotes nest at most QUOTE_DEPTH);
 * inline markers nest at most INLINE_DEPTH, and a closing marker searched for in vain is
 * remembered, so "*a *a *a ..." costs one scan, not one per opener. Bodies longer than
 * MAX_FORMATTED are shown as plain text with links and mentions.
 */
import { safeHref, trimUrl } from "./format.js";
import { emojiFor } from "./emoji.js";

export type Inline =
  | { t: "text"; text: string }
  | { t: "strong" | "em" | "del"; children: Inline[] }
  | { t: "code"; text: string }
  | { t: "link"; text: string; href: string }
  | { t: "mention"; text: string; user: string; me: boolean }
  | { t: "emoji"; text: string; code: string };

export type Block =
  | { t: "para"; children: Inline[] }
  | { t: "pre"; text: string }
  | { t: "quote"; children: Block[] }
  | { t: "list"; ordered: boolean; start: number; items: Inline[][] };

export const MAX_FORMATTED = 20_000;
const QUOTE_DEPTH = 3;
const INLINE_DEPTH = 4;

const FENCE = /^ {0,3}```[^`]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^ {0,3}[-*+][ \t]+(\S.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)][ \t]+(\S.*)$/;

/** Parses a body into blocks. A body with no block syntax is one paragraph, newlines kept. */
export function parseMarkdown(body: string, me: string): Block[] {
  if (body.length > MAX_FORMATTED) return [{ t: "para", children: plainInline(body, me) }];
  return parseBlocks(body.split("\n"), me, 0);
}

function parseBlocks(lines: string[], me: string, depth: number): Block[] {
  const out: Block[] = [];
  let para: string[] = [];
  /** `beforeBlock`: a block follows. Blank lines next to a block are its spacing, not text. */
  const flush = (beforeBlock: boolean) => {
    if (out.length > 0) while (para.length > 0 && para[0]!.trim() === "") para.shift();
    if (beforeBlock) while (para.length > 0 && para[para.length - 1]!.trim() === "") para.pop();
    if (para.length > 0) out.push({ t: "para", children: parseInline(para.join("\n"), me) });
    para = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (FENCE.test(line)) {
      flush(true);
      const code: string[] = [];
      i++;
      while (i < lines.length && !/^ {0,3}```\s*$/.test(lines[i]!)) code.push(lines[i++]!);
      i++; // the closing fence (or the end of an unclosed block)
      out.push({ t: "pre", text: code.join("\n") });
      continue;
    }
    if (depth < QUOTE_DEPTH && QUOTE.test(line)) {
      flush(true);
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) inner.push(QUOTE.exec(lines[i++]!)![1]!);
      out.push({ t: "quote", children: parseBlocks(inner, me, depth + 1) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flush(true);
      const ordered = !!numbered;
      const items: Inline[][] = [];
      const re = ordered ? NUMBERED : BULLET;
      const start = numbered ? Number(numbered[1]) : 1;
      let m: RegExpExecArray | null;
      while (i < lines.length && (m = re.exec(lines[i]!))) {
        items.push(parseInline(m[ordered ? 2 : 1]!, me));
        i++;
      }
      out.push({ t: "list", ordered, start, items });
      continue;
    }
    para.push(line);
    i++;
  }
  flush(false);
  return out;
}

const URL_AT = /https?:\/\/[^\s<>"'`]+/iy;
const MENTION_AT = /@([A-Za-z0-9_.-]{1,32})/y;
const SHORTCODE_AT = /:([a-z0-9_+-]{1,40}):/y;
const WORD = /[A-Za-z0-9]/;
const SPACE = /\s/;
/** A backslash before a marker shows it as itself: `\*not italic\*`. */
const ESCAPABLE = "*_~`";

/** Text with links, mentions and emoji but no emphasis or code: for bodies too long to format. */
function plainInline(s: string, me: string): Inline[] {
  return new InlineParser(s, me, INLINE_DEPTH).parse(0, s.length, INLINE_DEPTH);
}

export function parseInline(s: string, me: string): Inline[] {
  return new InlineParser(s, me, 0).parse(0, s.length, 0);
}

type Marker = "**" | "__" | "~~" | "*" | "_";
const KIND: Record<Marker, "strong" | "em" | "del"> = { "**": "strong", __: "strong", "~~": "del", "*": "em", _: "em" };

class InlineParser {
  constructor(
    private readonly s: string,
    private readonly me: string,
    private readonly minDepth: number,
  ) {}

  parse(from: number, to: number, depth: number): Inline[] {
    const s = this.s;
    const out: Inline[] = [];
    /** Per marker: the position from which a search for its closer found none before `to`. */
    const hopeless = new Map<string, number>();
    let text = "";
    const push = (node: Inline) => {
      if (text) out.push({ t: "text", text });
      text = "";
      out.push(node);
    };
    let i = from;
    while (i < to) {
      const c = s[i]!;
      const prev = i > 0 ? s[i - 1]! : " ";
      if (c === "\\" && i + 1 < to && ESCAPABLE.includes(s[i + 1]!)) {
        text += s[i + 1];
        i += 2;
        continue;
      }
      if (c === "`" && this.minDepth < INLINE_DEPTH) {
        let run = 1;
        while (i + run < to && s[i + run] === "`") run++;
        const close = this.findCodeClose(i + run, to, run, hopeless);
        if (close >= 0) {
          push({ t: "code", text: s.slice(i + run, close) });
          i = close + run;
        } else {
          text += s.slice(i, i + run);
          i += run;
        }
        continue;
      }
      if ((c === "h" || c === "H") && !WORD.test(prev)) {
        URL_AT.lastIndex = i;
        const m = URL_AT.exec(s);
        if (m) {
          const raw = trimUrl(m[0].slice(0, to - i));
          const href = safeHref(raw);
          if (href) {
            push({ t: "link", text: raw, href });
            i += raw.length;
            continue;
          }
        }
      }
      if (c === "@" && !/[A-Za-z0-9_.@-]/.test(prev)) {
        MENTION_AT.lastIndex = i;
        const m = MENTION_AT.exec(s);
        const user = m?.[1]!.slice(0, to - i - 1).replace(/\.+$/, "");
        if (user) {
          push({ t: "mention", text: `@${user}`, user, me: user === this.me });
          i += 1 + user.length;
          continue;
        }
      }
      if (c === ":") {
        SHORTCODE_AT.lastIndex = i;
        const m = SHORTCODE_AT.exec(s);
        const emoji = m && i + m[0].length <= to ? emojiFor(m[1]!) : undefined;
        if (emoji) {
          push({ t: "emoji", text: emoji, code: m![0] });
          i += m![0].length;
          continue;
        }
      }
      if ((c === "*" || c === "_" || c === "~") && depth < INLINE_DEPTH) {
        const marker = this.markerAt(i, to);
        if (marker) {
          const inner = i + marker.length;
          const openOk = inner < to && !SPACE.test(s[inner]!) && !(marker[0] === "_" && WORD.test(prev));
          const close = openOk ? this.findClose(marker, inner + 1, to, hopeless) : -1;
          if (close >= 0) {
            push({ t: KIND[marker], children: this.parse(inner, close, depth + 1) });
            i = close + marker.length;
            continue;
          }
          text += marker;
          i = inner;
          continue;
        }
      }
      text += c;
      i++;
    }
    if (text) out.push({ t: "text", text });
    return out;
  }

  /** The emphasis marker starting at `i`: "**", "__", "~~", "*" or "_" ("~" alone is text). */
  private markerAt(i: number, to: number): Marker | undefined {
    const two = this.s.slice(i, Math.min(i + 2, to));
    if (two === "**" || two === "__" || two === "~~") return two;
    if (two[0] === "*" || two[0] === "_") return two[0];
    return undefined;
  }

  /** Where `marker` closes in [from, to), or -1. A run of the same character closes only a marker as long. */
  private findClose(marker: Marker, from: number, to: number, hopeless: Map<string, number>): number {
    const s = this.s;
    const gaveUp = hopeless.get(marker);
    if (gaveUp !== undefined && gaveUp <= from) return -1;
    const ch = marker[0]!;
    let j = s.indexOf(ch, from);
    while (j >= 0 && j < to) {
      let run = 1;
      while (j + run < to && s[j + run] === ch) run++;
      const before = s[j - 1]!;
      const after = j + run < s.length ? s[j + run]! : " ";
      const fits = marker.length === 2 ? run >= 2 : run === 1;
      if (fits && !SPACE.test(before) && !(ch === "_" && WORD.test(after))) return marker.length === 2 ? j + run - 2 : j;
      j = s.indexOf(ch, j + run);
    }
    hopeless.set(marker, from);
    return -1;
  }

  /** The closing run of exactly `run` backticks in [from, to), or -1. */
  private findCodeClose(from: number, to: number, run: number, hopeless: Map<string, number>): number {
    const s = this.s;
    const key = `\`${run}`;
    const gaveUp = hopeless.get(key);
    if (gaveUp !== undefined && gaveUp <= from) return -1;
    let j = s.indexOf("`", from);
    while (j >= 0 && j < to) {
      let n = 1;
      while (j + n < to && s[j + n] === "`") n++;
      if (n === run && j > from) return j;
      j = s.indexOf("`", j + n);
    }
    hopeless.set(key, from);
    return -1;
  }
}

/** A body as it reads on screen, without its markers: what a screen reader is told of a new message. */
export function plainText(body: string): string {
  return blocksText(parseMarkdown(body, ""));
}

/** The text a tree shows, for tests and for screen-reader labels. */
export function blocksText(blocks: Block[]): string {
  const inline = (xs: Inline[]): string => xs.map((x) => ("children" in x ? inline(x.children) : x.text)).join("");
  return blocks
    .map((b) =>
      b.t === "para" ? inline(b.children) : b.t === "pre" ? b.text : b.t === "quote" ? blocksText(b.children) : b.items.map(inline).join("\n"),
    )
    .join("\n");
}
