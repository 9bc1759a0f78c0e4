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
import type { Cluster } from "ioredis";
import type { Server } from "socket.io";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { createClusterAdapter } from "./adapter.js";
import { createRedisClients, type RedisClient } from "./clients.js";
import { trackPublishes } from "./publish-barrier.js";
import { RedisPresence, type RedisPresenceOptions } from "./redis-presence.js";
import { instrumentRedis } from "./redis-metrics.js";
import { withTimeout } from "../timing.js";

export interface ClusterLink {
  presence: RedisPresence;
  /** The command client (rate limiter, presence). */
  commands: RedisClient;
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

/** On a Redis Cluster a publish may fail some time after the write (a primary failing over): rooms written this recently are suspect. */
const SUSPECT_MS = 10_000;

export async function connectCluster({ config, io, log, metrics, onReaped, onRedisBack }: ClusterOptions): Promise<ClusterLink> {
  const { commands, pub, sub, cluster } = createRedisClients(config);
  const clients = { commands, pub, sub };
  for (const [name, c] of Object.entries(clients)) {
    c.on("error", (err: Error) => log.debug({ err, client: name }, "redis client error"));
  }
  instrumentRedis(clients, metrics);
  await Promise.all([commands.connect(), pub.connect(), sub.connect()]);

  const published = trackPublishes(pub, () => shardTrouble());
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
    published,
    nodeId: config.nodeId,
    keyPrefix: prefix,
    ttlMs: config.presenceTtlMs,
    log,
    onReaped,
  });
  await presence.start();

  // A shard failing over while the clients stay "ready" is an outage of its slots: down
  // until every primary answers again and the cluster covers every slot.
  let shardDown = false;
  let closing: Promise<void> | undefined;
  const up = () => !shardDown && commands.status === "ready" && pub.status === "ready" && sub.status === "ready";
  let wasDown = false;
  const localOnlyRooms = new Set<string>();
  const recentWrites = new Map<string, number>();
  let probe: NodeJS.Timeout | undefined;
  metrics.redisUp.set(1);

  function shardTrouble(): void {
    if (!cluster || shardDown || closing) return;
    shardDown = true;
    // Publishes that waited for the dead primary or failed were issued up to seconds ago:
    // count those rooms as local-only.
    for (const room of recentWrites.keys()) localOnlyRooms.add(room);
    onStatus();
    let probing = false;
    probe = setInterval(() => {
      if (probing) return;
      probing = true;
      void allSlotsServed(commands as Cluster).then((ok) => {
        probing = false;
        if (!ok) {
          // ioredis learns a promotion only from a MOVED reply or a failed command; a client
          // with nothing bound for those slots would keep naming the dead primary.
          for (const c of Object.values(clients)) (c as Cluster).refreshSlotsCache();
          return;
        }
        if (!shardDown) return;
        clearInterval(probe);
        shardDown = false;
        onStatus();
      });
    }, 250);
    probe.unref();
  }

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
  // A Redis Cluster node lost (the client dropped its connection): if it was a primary, its
  // slots are down until its replica is promoted, and publishes to them wait or fail.
  // Replication is asynchronous, so the promoted replica may lack presence writes the dead
  // primary acknowledged: the node republishes its pairs.
  if (cluster) {
    commands.on("-node", () => {
      presence.resyncSoon();
      shardTrouble();
    });
  }
  for (const c of Object.values(clients)) {
    c.on("ready", onStatus);
    c.on("close", onStatus);
    c.on("end", onStatus);
  }

  return {
    presence,
    commands,
    redisUp: up,
    noteLocalOnlyWrite(room) {
      if (!up()) localOnlyRooms.add(room);
      else if (cluster) {
        const now = Date.now();
        recentWrites.delete(room);
        recentWrites.set(room, now);
        for (const [r, at] of recentWrites) {
          if (at > now - SUSPECT_MS) break;
          recentWrites.delete(r);
        }
      }
    },
    close: () =>
      (closing ??= (async () => {
        clearInterval(probe);
        // Best effort: the other nodes reap what is left after PRESENCE_TTL_MS.
        await withTimeout(presence.close(), 5000).catch((err: unknown) => log.warn({ err }, "presence cleanup did not finish"));
        for (const c of Object.values(clients)) c.disconnect();
      })()),
  };
}

/**
 * Every slot has a primary that answers: the slots as the cluster lists them, and a PING to
 * each owner over this client's own connection, each within a second. Until the cluster
 * promotes a dead primary's replica, its slots still name the dead one.
 */
async function allSlotsServed(cluster: Cluster): Promise<boolean> {
  try {
    const slots = (await withTimeout(cluster.cluster("SLOTS"), 1000)) as unknown as [number, number, [string, number]][];
    if (slots.reduce((n, [from, to]) => n + to - from + 1, 0) < 16384) return false;
    const pool = new Map(cluster.nodes("master").map((n) => [`${n.options.host}:${n.options.port}`, n]));
    const owners = new Set(slots.map(([, , [host, port]]) => `${host}:${port}`));
    const pings = [...owners].map((key) => {
      const node = pool.get(key);
      return node ? withTimeout(node.ping(), 1000) : Promise.reject(new Error(`no connection to ${key}`));
    });
    await Promise.all(pings);
    return true;
  } catch {
    return false;
  }
}
