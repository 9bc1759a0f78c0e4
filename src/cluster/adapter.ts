/**
 * The Socket.IO Redis adapter (classic or sharded), with two changes to the sharded one's
 * broadcast path that keep what every node delivers and cut a round trip from it:
 *
 * - Local delivery does not wait for Redis. The sharded adapter (socket.io-adapter's
 *   ClusterAdapter) awaits the SPUBLISH reply before delivering to this node's own
 *   sockets, so a message reached local members one Redis round trip after its commit, and
 *   a sender's ack and its own copy of the message left in two writes. The reply only
 *   carries a connection-state-recovery offset, which chat-cluster does not use (clients
 *   recover through `seq`). The publish is still issued first, in the same tick, so order
 *   per node and per room is unchanged; a failed publish is logged, as before.
 * - A node's own broadcasts come back to it from Redis (it subscribes to every room it has
 *   members in) and were parsed in full only to be dropped as "from self". They are now
 *   recognised by the end of their JSON text, which the adapter writes last and a payload
 *   cannot forge (JSON.stringify escapes every quote inside strings); anything else is
 *   parsed as before.
 *
 * The classic adapter already delivers locally without waiting: it is used as it is.
 */
import { createAdapter } from "@socket.io/redis-adapter";
import { createShardedAdapter } from "@socket.io/redis-adapter/dist/sharded-adapter.js";
import type { RedisClient } from "./clients.js";
import type { Namespace } from "socket.io";

export interface AdapterOptions {
  kind: "sharded" | "classic";
  /** Prefix of the adapter's channels (REDIS_KEY_PREFIX + "#io"). */
  channelPrefix: string;
  /** A broadcast's publish failed (Redis down): local delivery went ahead. */
  onPublishError?: (err: unknown) => void;
}

/** socket.io-adapter's MessageType.BROADCAST. */
const BROADCAST = 3;

interface ClusterMessage {
  type: number;
  data?: { requestId?: unknown };
}
interface ShardedAdapterInternals {
  uid: string;
  publishAndReturnOffset(message: ClusterMessage): Promise<string>;
  onRawMessage(raw: Buffer, channel: Buffer): void;
}

export function createClusterAdapter(pub: RedisClient, sub: RedisClient, o: AdapterOptions): (nsp: Namespace) => unknown {
  if (o.kind === "classic") return createAdapter(pub, sub, { key: o.channelPrefix });
  const create = createShardedAdapter(pub, sub, { channelPrefix: o.channelPrefix, subscriptionMode: "dynamic" });
  return function createLocalFirstAdapter(nsp: Namespace) {
    const adapter = create(nsp) as unknown as ShardedAdapterInternals;
    deliverWithoutWaiting(adapter, o.onPublishError);
    dropOwnEchoes(adapter, nsp.name);
    return adapter;
  };
}

function deliverWithoutWaiting(adapter: ShardedAdapterInternals, onError?: (err: unknown) => void): void {
  const publishAndReturnOffset = adapter.publishAndReturnOffset;
  if (typeof publishAndReturnOffset !== "function") return;
  adapter.publishAndReturnOffset = function publishInBackground(message: ClusterMessage): Promise<string> {
    const sent = publishAndReturnOffset.call(this, message);
    // Broadcasts with an ack (requestId) need the publish's outcome; plain ones do not.
    if (message.type !== BROADCAST || message.data?.requestId !== undefined) return sent;
    sent.catch((err: unknown) => onError?.(err));
    return Promise.resolve("");
  };
}

function dropOwnEchoes(adapter: ShardedAdapterInternals, nsp: string): void {
  const onRawMessage = adapter.onRawMessage;
  if (typeof onRawMessage !== "function" || typeof adapter.uid !== "string") return;
  // ClusterAdapter.publishAndReturnOffset sets uid then nsp on the message it stringifies.
  const tail = Buffer.from(`"uid":${JSON.stringify(adapter.uid)},"nsp":${JSON.stringify(nsp)}}`);
  adapter.onRawMessage = function skipOwnMessages(raw: Buffer, channel: Buffer): void {
    if (Buffer.isBuffer(raw) && raw.length > tail.length && raw[0] === 0x7b && endsWith(raw, tail)) return;
    onRawMessage.call(this, raw, channel);
  };
}

function endsWith(raw: Buffer, tail: Buffer): boolean {
  return raw.compare(tail, 0, tail.length, raw.length - tail.length) === 0;
}
