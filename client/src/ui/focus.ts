/** Keeping the keyboard focus where a person expects it in the modal parts of the page. */
import type { RefObject } from "preact";
import { useLayoutEffect } from "preact/hooks";

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select, [tabindex]:not([tabindex='-1'])";

/** The elements inside `root` that Tab can reach, in order (hidden ones left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/**
 * Keeps Tab and Shift+Tab inside `root`: past the last element Tab comes back to the first,
 * and Shift+Tab from the first goes to the last. Call it from a keydown handler.
 */
export function trapTab(e: KeyboardEvent, root: HTMLElement): void {
  if (e.key !== "Tab") return;
  const els = focusables(root);
  if (els.length === 0) return;
  const first = els[0]!;
  const last = els[els.length - 1]!;
  const at = document.activeElement;
  const inside = at instanceof HTMLElement && root.contains(at);
  if (e.shiftKey && (at === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A modal's focus for as long as it is shown: `first()` takes it when it opens, and when it
 * closes it goes back to where it was, unless something opened meanwhile took it (a room
 * chosen in it gives the cursor to its composer). Call it once from the modal's component.
 */
export function useModalFocus(root: RefObject<HTMLElement | null>, first: (modal: HTMLElement | null) => HTMLElement | null | undefined): void {
  useLayoutEffect(() => {
    const back = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const modal = root.current;
    first(modal)?.focus();
    return () => {
      const now = document.activeElement;
      if (back?.isConnected && (!now || now === document.body || modal?.contains(now))) back.focus();
    };
  }, []);
}

/**
 * While a drawer is open as a modal (its scrim shown, on narrow screens), the focus moves
 * into it, Tab stays inside, and when it closes the focus goes back to where it was, unless
 * something else took it meanwhile (a room chosen in the drawer gives it to the composer).
 */
export function useDrawerFocus(id: string | undefined): void {
  // In the commit that opens or closes the drawer, so the focus never rests on the page between.
  useLayoutEffect(() => {
    if (!id) return;
    const root = document.getElementById(id);
    const scrim = document.querySelector(".scrim");
    if (!root || !scrim || getComputedStyle(scrim).display === "none") return;
    const back = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    if (!back || !root.contains(back)) focusables(root)[0]?.focus();
    const onKey = (e: KeyboardEvent) => trapTab(e, root);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      const now = document.activeElement;
      if (back?.isConnected && (!now || now === document.body || root.contains(now))) back.focus();
    };
  }, [id]);
}
