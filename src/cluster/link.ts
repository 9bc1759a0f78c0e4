/**
 * What a node needs to be one of many: Redis clients, the Socket.IO Redis adapter (classic
 * or sharded), cluster-wide presence, and recovery after a Redis outage.
 *
 * During an outage messages are still stored and delivered to this node's sockets; what
 * crossed no node is recovered by clients through `seq`. When Redis returns, the node tells
 * its callers (node.ts, for chat) to ask clients to re-check their rooms, with the rooms it
 * wrote to while cut off, whose messages the other nodes never heard of. The link knows
 * Redis and Socket.IO's adapter, not chat: what an event means is the callbacks' business.
 */
import { Redis } from "ioredis";
import type { Server } from "socket.io";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { createClusterAdapter } from "./adapter.js";
import { RedisPresence, type RedisPresenceOptions } from "./redis-presence.js";
import { instrumentRedis } from "./redis-metrics.js";

export interface ClusterLink {
  presence: RedisPresence;
  /** The command client (rate limiter, presence). */
  commands: Redis;
  redisUp(): boolean;
  /** Rooms this node stored messages in while Redis was down. */
  noteLocalOnlyWrite(room: string): void;
  close(): Promise<void>;
}

export interface ClusterOptions {
  config: Config;
  io: Server;
  log: Logger;
  metrics: Metrics;
  /** Users gone from rooms (a dead node's, or leaves owed since an outage): publish their leaves before returning. */
  onReaped: RedisPresenceOptions["onReaped"];
  /** Redis is back after an outage; `localOnlyRooms` got messages here that no other node heard of. */
  onRedisBack(localOnlyRooms: ReadonlySet<string>): void;
}

export async function connectCluster({ config, io, log, metrics, onReaped, onRedisBack }: ClusterOptions): Promise<ClusterLink> {
  const url = config.redisUrl!;
  const base = {
    // Reconnect forever with a capped backoff: the node stays up through an outage.
    retryStrategy: (times: number) => Math.min(100 * 2 ** times, 2000),
    maxRetriesPerRequest: 1,
    connectionName: `chat-cluster:${config.nodeId}`,
  };
  // No offline queue on the clients whose commands sit on a send's path: while Redis is
  // down they fail at once (local delivery goes on) instead of piling up.
  // Auto-pipelining sends every command issued in one tick in a single write: a busy node
  // otherwise pays one syscall per rate-limit check and per publish.
  const hot = { ...base, enableOfflineQueue: false, lazyConnect: true, enableAutoPipelining: true };
  const commands = new Redis(url, hot);
  const pub = new Redis(url, hot);
  const sub = new Redis(url, { ...base, lazyConnect: true });
  const clients = { commands, pub, sub };
  for (const [name, c] of Object.entries(clients)) {
    c.on("error", (err: Error) => log.debug({ err, client: name }, "redis client error"));
  }
  instrumentRedis(clients, metrics);
  await Promise.all([commands.connect(), pub.connect(), sub.connect()]);

  // The classic adapter publishes without waiting: swallow (and count) what fails while down.
  const publish = pub.publish.bind(pub);
  (pub as unknown as { publish: (...a: unknown[]) => Promise<unknown> }).publish = (...args: unknown[]) =>
    (publish as (...a: unknown[]) => Promise<unknown>)(...args).catch(() => 0);

  const prefix = config.redisKeyPrefix;
  io.adapter(
    createClusterAdapter(pub, sub, {
      kind: config.redisAdapter,
      channelPrefix: `${prefix}#io`,
      // Local delivery went ahead; other nodes' members recover the message through seq.
      onPublishError: (err) => log.debug({ err }, "broadcast not published"),
    }) as Parameters<Server["adapter"]>[0],
  );
  io.of("/").adapter.on("error", (err: Error) => log.warn({ err }, "adapter error"));

  const presence = new RedisPresence({
    redis: commands,
    announcer: pub,
    nodeId: config.nodeId,
    keyPrefix: prefix,
    ttlMs: config.presenceTtlMs,
    log,
    onReaped,
  });
  await presence.start();

  const up = () => commands.status === "ready" && pub.status === "ready" && sub.status === "ready";
  let wasDown = false;
  const localOnlyRooms = new Set<string>();
  metrics.redisUp.set(1);

  function onStatus(): void {
    const nowUp = up();
    metrics.redisUp.set(nowUp ? 1 : 0);
    if (!nowUp) {
      if (!wasDown) log.warn("redis down: delivering to this node's sockets only");
      wasDown = true;
      return;
    }
    if (!wasDown) return;
    wasDown = false;
    log.info("redis back: asking clients to fill gaps");
    void presence.resync().catch((err: unknown) => log.warn({ err }, "presence resync failed"));
    onRedisBack(localOnlyRooms);
    localOnlyRooms.clear();
  }
  for (const c of Object.values(clients)) {
    c.on("ready", onStatus);
    c.on("close", onStatus);
    c.on("end", onStatus);
  }

  let closing: Promise<void> | undefined;
  return {
    presence,
    commands,
    redisUp: up,
    noteLocalOnlyWrite(room) {
      if (!up()) localOnlyRooms.add(room);
    },
    close: () =>
      (closing ??= (async () => {
        await presence.close();
        for (const c of Object.values(clients)) c.disconnect();
      })()),
  };
}
