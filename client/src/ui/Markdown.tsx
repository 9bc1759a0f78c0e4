/**
 * A message body's Markdown tree (state/markdown.ts) as Preact elements. Every string goes
 * into a text node; the only attribute taken from a body is a link's href, which the parser
 * has already checked is http(s).
 */
import type { ComponentChildren, JSX } from "preact";
import { parseMarkdown, type Block, type Inline } from "../state/markdown.js";

function inline(nodes: Inline[]): ComponentChildren[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return n.text;
      case "strong":
        return <strong key={i}>{inline(n.children)}</strong>;
      case "em":
        return <em key={i}>{inline(n.children)}</em>;
      case "del":
        return <del key={i}>{inline(n.children)}</del>;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {n.text}
          </a>
        );
      case "mention":
        return (
          <span key={i} class={`mention${n.me ? " is-me" : ""}`}>
            {n.text}
          </span>
        );
      case "emoji":
        return (
          <span key={i} class="emoji" title={n.code}>
            {n.text}
          </span>
        );
    }
  });
}

function blocks(nodes: Block[]): JSX.Element[] {
  return nodes.map((b, i) => {
    switch (b.t) {
      case "para":
        // A paragraph stays inline (newlines kept by white-space: pre-wrap), so that a plain
        // body's text on screen is exactly the body.
        return <span key={i} class="md-p">{inline(b.children)}</span>;
      case "pre":
        return (
          <pre key={i}>
            <code>{b.text}</code>
          </pre>
        );
      case "quote":
        return <blockquote key={i}>{blocks(b.children)}</blockquote>;
      case "list": {
        const items = b.items.map((it, j) => <li key={j}>{inline(it)}</li>);
        return b.ordered ? (
          <ol key={i} start={b.start === 1 ? undefined : b.start}>
            {items}
          </ol>
        ) : (
          <ul key={i}>{items}</ul>
        );
      }
    }
  });
}

/** A body with formatting, links, @mentions (`me`'s marked) and emoji; never markup. */
export function Markdown({ text, me }: { text: string; me: string }) {
  return <>{blocks(parseMarkdown(text, me))}</>;
}
