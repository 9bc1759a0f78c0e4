/**
 * Moving between the messages of a list with the keyboard (the list is one Tab stop; see
 * ui/roving.ts): which item a key goes to, and whether it asks for older history first.
 */

/** The keys that move between messages. */
export const NAV_KEYS = new Set(["ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);

export interface NavMove {
  /** The item to focus. */
  index: number;
  /** The key went past the first loaded message and older ones exist: load them. */
  older: boolean;
}

/**
 * Where `key` goes from item `index` of `count` items, `page` items at a time for PageUp and
 * PageDown; undefined for any other key or an empty list. Up, Home and PageUp at the first
 * item ask for the older page (`hasOlder`), as scrolling to the top does.
 */
export function navMove(key: string, index: number, count: number, page: number, hasOlder: boolean): NavMove | undefined {
  if (count <= 0 || !NAV_KEYS.has(key)) return undefined;
  const at = Math.min(Math.max(index, 0), count - 1);
  const step = Math.max(1, page);
  const first = at === 0;
  switch (key) {
    case "ArrowUp":
      return { index: Math.max(0, at - 1), older: first && hasOlder };
    case "ArrowDown":
      return { index: Math.min(count - 1, at + 1), older: false };
    case "Home":
      return { index: 0, older: first && hasOlder };
    case "End":
      return { index: count - 1, older: false };
    case "PageUp":
      return { index: Math.max(0, at - step), older: first && hasOlder };
    default:
      return { index: Math.min(count - 1, at + step), older: false };
  }
}
