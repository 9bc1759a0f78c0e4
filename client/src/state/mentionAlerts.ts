/** The mention alerts the views show as toasts: newest last, at most 20, one per message. */
import type { MentionAlert } from "./chatTypes.js";

export class MentionAlerts {
  readonly list: MentionAlert[] = [];
  private nextAlertId = 1;

  constructor(private readonly now: () => number) {}

  /** One alert per message: a reply that mentions this user is announced once. */
  alert(a: Omit<MentionAlert, "id" | "at">) {
    if (this.list.some((x) => x.room === a.room && x.seq === a.seq)) return;
    this.list.push({ ...a, id: this.nextAlertId++, at: this.now() });
    if (this.list.length > 20) this.list.splice(0, this.list.length - 20);
  }

  /** Drops a shown alert; false if it was gone already. */
  dismiss(id: number): boolean {
    const i = this.list.findIndex((a) => a.id === id);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }
}
