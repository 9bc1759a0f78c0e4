/**
 * The message list as one Tab stop, after the WAI-ARIA feed pattern: the list is a `feed`,
 * each message an `article`, and one article at a time is in the Tab order (a roving
 * tabindex). Up and Down, Home and End, PageUp and PageDown move between messages (going
 * up past the first loaded one loads older ones); Enter moves into the focused message's
 * actions, Tab goes through them, Escape comes back to the message. The controls inside the
 * other messages stay out of the Tab order, so Tab crosses the list in one step.
 *
 * This works on the DOM after each render rather than through props, so that every row
 * kind, and controls added to rows later, take part without knowing about it.
 */
import { navMove } from "../state/navKeys.js";

const ITEM = '[role="article"]';
const CONTROLS = "a[href], button, input, textarea, select, summary, [tabindex]";

export interface RovingHost {
  hasOlder(): boolean;
  loadOlder(): void;
}

/** A row's key: `m<seq>` for a stored message, `c<clientId>` for one being sent. */
export function itemKey(el: HTMLElement): string {
  return el.dataset.seq !== undefined ? `m${el.dataset.seq}` : `c${el.dataset.clientId ?? ""}`;
}

export class Roving {
  /** The message that is the list's Tab stop; undefined: the newest. */
  private key: string | undefined;
  /** Up went past the first loaded message: once older ones come, move on to them. */
  private olderFrom: string | undefined;
  private root: HTMLElement | null = null;

  constructor(private readonly host: RovingHost) {}

  attach(root: HTMLElement | null): void {
    if (this.root === root) return;
    this.root?.removeEventListener("keydown", this.onKeyDown);
    this.root?.removeEventListener("focusin", this.onFocusIn);
    this.root?.removeEventListener("focusout", this.onFocusOut);
    this.root = root;
    root?.addEventListener("keydown", this.onKeyDown);
    root?.addEventListener("focusin", this.onFocusIn);
    root?.addEventListener("focusout", this.onFocusOut);
  }

  /** Another room: the newest message is the Tab stop again. */
  reset(): void {
    this.key = undefined;
    this.olderFrom = undefined;
  }

  private items(): HTMLElement[] {
    return this.root ? [...this.root.querySelectorAll<HTMLElement>(`:scope > ${ITEM}`)] : [];
  }

  private current(items: HTMLElement[]): HTMLElement | undefined {
    const find = (k: string | undefined) => (k === undefined ? undefined : items.find((el) => itemKey(el) === k));
    let el = find(this.key);
    if (!el && this.key?.startsWith("c")) {
      // A message being sent was stored: the same message, now with its seq.
      const clientId = this.key.slice(1);
      el = items.find((e) => e.dataset.seq !== undefined && e.dataset.clientId === clientId);
      if (el) this.key = itemKey(el);
    }
    return el ?? items[items.length - 1];
  }

  /** The focus is somewhere in the list (a message or one of its controls). */
  hasFocus(): boolean {
    const at = document.activeElement;
    return !!this.root && at instanceof HTMLElement && this.root.contains(at);
  }

  /**
   * After every render of the list: one article in the Tab order, the controls of the
   * others out of it, and a focus that was in the list and fell to the page kept in the list
   * (the row that had it may have been replaced, a message being sent by the same message
   * stored, or removed).
   */
  sync(hadFocus: boolean): void {
    const items = this.items();
    let cur = this.current(items);
    if (this.olderFrom !== undefined && items[0] && itemKey(items[0]) !== this.olderFrom) {
      // The older page came in: Up goes on from where it stopped.
      const i = items.findIndex((el) => itemKey(el) === this.olderFrom);
      this.olderFrom = undefined;
      if (i > 0 && this.key === itemKey(items[i]!) && this.hasFocus()) {
        cur = items[i - 1];
        this.key = itemKey(cur!);
        cur!.focus();
      }
    }
    this.settle(items, cur, this.focusedItem());
    // Only a focus lost with its row (now on the page itself), never one moved elsewhere on purpose.
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (hadFocus && lost && cur) cur.focus({ preventScroll: true });
  }

  /** The article that has the focus or holds the control that has it. */
  private focusedItem(): HTMLElement | undefined {
    const at = document.activeElement;
    const item = at instanceof HTMLElement ? at.closest<HTMLElement>(ITEM) : null;
    return item && this.root?.contains(item) ? item : undefined;
  }

  /**
   * `stop` in the Tab order and the other articles out of it; the controls of `open` in it
   * and every other message's out of it. One query for all the controls, and an attribute
   * written only where it changes: this runs after every render of the list.
   */
  private settle(items: HTMLElement[], stop: HTMLElement | undefined, open: HTMLElement | undefined): void {
    for (const el of items) {
      // The attribute, not the property: an element without one reads -1 and is not focusable.
      const want = el === stop ? "0" : "-1";
      if (el.getAttribute("tabindex") !== want) el.setAttribute("tabindex", want);
    }
    if (!this.root) return;
    for (const c of this.root.querySelectorAll<HTMLElement>(`${ITEM} :is(${CONTROLS})`)) setControl(c, !!open?.contains(c));
  }

  /** Focuses the newest message (the "jump to newest" pill), or `key` if given. */
  focusItem(key?: string): void {
    const items = this.items();
    const el = key === undefined ? items[items.length - 1] : items.find((e) => itemKey(e) === key);
    if (el) {
      this.key = itemKey(el);
      el.focus();
    }
  }

  private onFocusIn = (e: FocusEvent) => {
    const item = (e.target as HTMLElement).closest<HTMLElement>(ITEM);
    if (!item || !this.root?.contains(item)) return;
    this.key = itemKey(item);
    this.settle(this.items(), item, item);
  };

  private onFocusOut = (e: FocusEvent) => {
    const to = e.relatedTarget;
    if (to instanceof Node && this.root?.contains(to)) return;
    const items = this.items();
    this.settle(items, this.current(items), undefined);
  };

  private onKeyDown = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    const item = target.closest<HTMLElement>(ITEM);
    if (!item || e.altKey || e.ctrlKey || e.metaKey) return;
    if (target !== item) {
      // In one of the message's controls: Escape comes back to the message.
      if (e.key === "Escape" && !e.defaultPrevented) {
        e.preventDefault();
        item.focus();
      }
      return;
    }
    if (e.key === "Enter") {
      const first = item.querySelector<HTMLElement>(".msg-actions button") ?? item.querySelector<HTMLElement>(CONTROLS);
      if (first) {
        e.preventDefault();
        first.focus();
      }
      return;
    }
    const items = this.items();
    const move = navMove(e.key, items.indexOf(item), items.length, this.pageSize(items), this.host.hasOlder());
    if (!move) return;
    e.preventDefault();
    if (move.older) {
      this.olderFrom = itemKey(items[0]!);
      this.host.loadOlder();
    }
    const next = items[move.index]!;
    this.key = itemKey(next);
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  };

  /** Messages that fit on screen at once, less one, for PageUp and PageDown. */
  private pageSize(items: HTMLElement[]): number {
    const view = this.root?.parentElement?.getBoundingClientRect();
    if (!view) return 1;
    const shown = items.filter((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom > view.top && r.top < view.bottom;
    }).length;
    return Math.max(1, shown - 1);
  }
}

/**
 * Puts a message's control in the Tab order (`on`) or takes it out, keeping the tabindex
 * it had of its own (in `data-roved`) to give it back.
 */
function setControl(c: HTMLElement, on: boolean): void {
  const own = c.dataset.roved;
  if (on) {
    if (own === undefined) return;
    if (own === "") c.removeAttribute("tabindex");
    else c.setAttribute("tabindex", own);
    delete c.dataset.roved;
  } else if (own === undefined && c.getAttribute("tabindex") !== "-1") {
    c.dataset.roved = c.getAttribute("tabindex") ?? "";
    c.tabIndex = -1;
  }
}
