/**
 * Chat's whole face towards the transport: the client events it handles and what it does
 * when a socket comes and goes. node.ts hands these to realtime/connection.ts.
 */
import type { Socket } from "socket.io";
import { registerBrowse } from "./browse.js";
import type { ChatContext } from "./context.js";
import { registerDms } from "./dms.js";
import { legacyEnabled, registerLegacyEvents } from "./legacy/index.js";
import { leaveAll } from "./membership.js";
import { registerMessages } from "./messages.js";
import type { On } from "./on.js";
import { registerReads } from "./reads.js";
import { registerRich } from "./rich.js";
import { registerRooms } from "./rooms.js";
import { registerThreads } from "./threads.js";
import { registerTyping } from "./typing.js";

export function registerChat(ctx: ChatContext, on: On): void {
  registerRooms(ctx, on);
  registerBrowse(ctx, on);
  registerMessages(ctx, on);
  registerTyping(ctx, on);
  registerReads(ctx, on);
  registerDms(ctx, on);
  registerRich(ctx, on);
  registerThreads(ctx, on);
  // The Flask template's dialect, when it is on (otherwise its events are unknown events).
  if (legacyEnabled(ctx.config)) registerLegacyEvents(ctx, on);
}

/**
 * A socket's arrival and departure, as chat sees them: shared functions, none per socket.
 * Its user is registered in users.ts where it takes the user (realtime/connection-limits.ts
 * `takeUser`, at the handshake or the template's `joined_room`) and unregistered when its
 * slots are released.
 */
export function chatSockets(ctx: ChatContext) {
  return {
    connected(_socket: Socket): void {},
    /** Leaves every room, announcing the user's last connection. Never rejects. */
    disconnected(socket: Socket): Promise<void> {
      return leaveAll(ctx, socket);
    },
  };
}
