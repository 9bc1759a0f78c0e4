/**
 * A modal dialog: the focus moves in when it opens (to `initial`, else its first field or
 * button), Tab stays inside, Escape or a click beside it closes it, and closing gives the
 * focus back to where it was, unless something opened meanwhile took it.
 */
import type { ComponentChildren, RefObject } from "preact";
import { useRef } from "preact/hooks";
import { focusables, trapTab, useModalFocus } from "./focus.js";

interface Props {
  /** The id of the element that names the dialog (its heading). */
  labelledBy: string;
  class?: string;
  role?: "dialog" | "alertdialog";
  initial?: RefObject<HTMLElement | null>;
  onClose(): void;
  children: ComponentChildren;
}

export function Dialog({ labelledBy, class: cls, role = "dialog", initial, onClose, children }: Props) {
  const root = useRef<HTMLDivElement>(null);
  useModalFocus(root, (dialog) => initial?.current ?? (dialog && focusables(dialog)[0]));

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation(); // the page's own Escape (drawers, search) is not for this key
      onClose();
    } else if (root.current) {
      trapTab(e, root.current);
    }
  };

  return (
    <div class="dialog-backdrop" onClick={onClose}>
      <div
        ref={root}
        class={`dialog${cls ? ` ${cls}` : ""}`}
        role={role}
        aria-modal="true"
        aria-labelledby={labelledBy}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={onKeyDown}
      >
        {children}
      </div>
    </div>
  );
}
