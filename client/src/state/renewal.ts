/**
 * jwt mode: a session ends with its token (docs/protocol.md). On `session:expiring` the
 * client asks the page for a fresh token and sends it with `auth:refresh`; if the page has
 * no way to get one, or renewal fails until `session:expired`, the person is signed out
 * with a message instead of being left on a page whose every action is refused.
 */
import type { Ack } from "../../../src/shared/wire.js";
import type { ChatSocket } from "./roomEvents.js";

export interface RenewalHost {
  /** A fresh token from the page, or undefined when it has no way to get one. */
  getToken(): Promise<string | undefined>;
  refresh(token: string): Promise<Ack | { ok: false }>;
  /** The server took the new token: keep it for reconnects and reloads. */
  renewed(token: string): void;
  /** The token expired and could not be renewed. */
  expired(): void;
}

export function wireRenewal(s: ChatSocket, host: RenewalHost): void {
  let attempt: Promise<boolean> | undefined;
  const renew = (): Promise<boolean> => (attempt ??= tryRenew().finally(() => (attempt = undefined)));
  async function tryRenew(): Promise<boolean> {
    try {
      const token = await host.getToken();
      if (!token) return false;
      const ack = await host.refresh(token);
      if (!ack.ok) return false;
      host.renewed(token);
      return true;
    } catch {
      return false; // the page's hook failed: as if it had no token
    }
  }
  s.on("session:expiring", () => void renew());
  // One more try in the grace the server gives (a hook that failed a minute ago may work now).
  s.on("session:expired", () => {
    void renew().then((ok) => {
      if (!ok) host.expired();
    });
  });
}
