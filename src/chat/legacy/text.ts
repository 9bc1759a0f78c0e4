/**
 * Text for the Flask template's page, which inserts bodies and names with innerHTML: in the
 * legacy dialect they go HTML-escaped (LEGACY_ESCAPE_HTML), so a message is shown, never run.
 */
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const asIs = (text: string) => text;

/** The template shows text only: a message's files follow its body by name, one `[file: name]` each. */
export function legacyBody(m: { body: string; attachments?: { name: string }[] }): string {
  const files = (m.attachments ?? []).map((a) => `[file: ${a.name}]`);
  return [m.body, ...files].filter((s) => s !== "").join(" ");
}

export function legacyText(escape: boolean): (text: string) => string {
  return escape ? escapeHtml : asIs;
}
