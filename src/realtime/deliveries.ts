/**
 * What each broadcast delivered to this node's sockets, told once per broadcast.
 *
 * Every broadcast ends in socket.io-adapter's in-memory `Adapter.prototype.broadcast`:
 * one emitted here, and one received from another node (the Redis adapters deliver with
 * `super.broadcast`, past any override on the instance). That one method is wrapped, once
 * per process; each node's adapter carries its own tap. The recipients are counted from
 * the room's member set the adapter keeps anyway: no work per recipient.
 */
import type { Server } from "socket.io";

/** `recipients` sockets of this node in `room` got `event` (0 when the room has none here). */
export type BroadcastTap = (event: string, room: string, recipients: number) => void;

interface Packet {
  data?: unknown[];
}
interface BroadcastOptions {
  rooms: Set<string>;
  except?: Set<string>;
}
interface AdapterLike {
  rooms: Map<string, Set<string>>;
  broadcast(packet: Packet, opts: BroadcastOptions): void;
  [TAP]?: BroadcastTap;
}

const TAP = Symbol("chat.broadcastTap");
const wrapped = new WeakSet<object>();

/** Installs `tap` on the namespace's current adapter: call it after `io.adapter(...)`. */
export function tapBroadcasts(io: Server, tap: BroadcastTap): void {
  const adapter = io.of("/").adapter as unknown as AdapterLike;
  wrapInMemoryBroadcast(adapter);
  adapter[TAP] = tap;
}

function wrapInMemoryBroadcast(adapter: AdapterLike): void {
  // The prototype that defines the in-memory broadcast: the last one on the chain with one.
  let owner: (object & { broadcast?: AdapterLike["broadcast"] }) | undefined;
  for (let p = Object.getPrototypeOf(adapter); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, "broadcast")) owner = p;
  }
  if (!owner || wrapped.has(owner)) return;
  const broadcast = owner.broadcast!;
  owner.broadcast = function tappedBroadcast(this: AdapterLike, packet: Packet, opts: BroadcastOptions): void {
    broadcast.call(this, packet, opts);
    const tap = this[TAP];
    const event = packet.data?.[0];
    if (tap && typeof event === "string") tell(this, tap, event, opts);
  };
  wrapped.add(owner);
}

function tell(adapter: AdapterLike, tap: BroadcastTap, event: string, opts: BroadcastOptions): void {
  for (const room of opts.rooms) {
    const members = adapter.rooms.get(room);
    let n = members?.size ?? 0;
    // `except` names rooms too (a socket id is the room of that one socket).
    if (n > 0 && opts.except) {
      for (const ex of opts.except) for (const id of adapter.rooms.get(ex) ?? []) if (members!.has(id)) n--;
    }
    tap(event, room, n);
  }
}
