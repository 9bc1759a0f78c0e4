/**
 * Cluster-wide presence in Redis, without asking every node (`fetchSockets`) on each join.
 *
 * Each node counts its own sockets in `LocalPresence` and tells Redis only when a (room, user)
 * pair appears on or disappears from the node. Redis keeps, per room, how many nodes have
 * each user (`<p>:pr:room:<room>`, a hash), and per node the pairs it has
 * (`<p>:pr:node:<id>`, a set), so that a dead node's pairs can be taken back. Nodes
 * heartbeat into `<p>:pr:nodes` (a sorted set scored by Redis time); a node that misses
 * heartbeats for 0.4 of the TTL is reaped by whichever live node gets there first (the reap is
 * one atomic script, so its users leave exactly once).
 *
 * When Redis is unreachable the node answers from its own connections and marks itself
 * dirty; when Redis comes back it replaces its whole contribution in one script.
 *
 * A leave is owed until it is announced. The script that finds a user gone from a room (a
 * last connection's removal, or a reap) also records the pair in the announcing node's
 * `<p>:pr:leaving:<id>` set, and the node takes it out again over the connection that
 * published the announcement, after it. A node that dies between the two is reaped with
 * its owed leaves, which the reaper announces (unless the user is back): a leave can then
 * be announced twice, but is never lost.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { LocalPresence } from "./local-presence.js";
import { SCRIPTS, SEP, type ScriptName } from "./presence-scripts.js";

export interface RedisPresenceOptions {
  redis: Redis;
  /**
   * The connection that publishes presence announcements (the adapter's). Owed leaves are
   * cleared over it, after the announcement, so that Redis sees them in that order.
   * @default redis
   */
  announcer?: Redis;
  nodeId: string;
  keyPrefix: string;
  /** A dead node's users leave presence within this time. @default 30000 */
  ttlMs: number;
  log: Logger;
  /**
   * Called with users to announce as gone from rooms: those of a dead node (a reap), and
   * those a replace found gone (a previous process under this NODE_ID, or leaves during
   * an outage). It must publish the leaves before it returns.
   */
  onReaped: (gone: { room: string; user: string }[]) => void;
}

export class RedisPresence {
  readonly local = new LocalPresence();
  private readonly keys: { nodes: string; node: (id: string) => string; leaving: (id: string) => string; roomPrefix: string };
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;

  constructor(private readonly o: RedisPresenceOptions) {
    const p = o.keyPrefix;
    this.keys = {
      nodes: `${p}:pr:nodes`,
      node: (id) => `${p}:pr:node:${id}`,
      leaving: (id) => `${p}:pr:leaving:${id}`,
      roomPrefix: `${p}:pr:room:`,
    };
    for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS)) o.redis.defineCommand(name, { lua, numberOfKeys });
  }

  /** Runs a script by its SHA (ioredis falls back to EVAL after a Redis restart). */
  private run(name: ScriptName, ...keysAndArgs: (string | number)[]): Promise<unknown> {
    return (this.o.redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<unknown>>)[name](...keysAndArgs);
  }

  /** Registers the node and starts heartbeating and reaping. */
  async start(): Promise<void> {
    await this.resync();
    // Heartbeat every TTL/6 and reap after 0.4 TTL without one: a dead node is gone within
    // about 0.57 TTL, which leaves room for a busy event loop before the promised TTL.
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.o.ttlMs / 6)));
    this.timer.unref();
  }

  async add(room: string, user: string, _socketId: string): Promise<boolean> {
    if (!this.local.addLocal(room, user)) return false;
    try {
      const n = (await this.run("chatPresenceAdd", this.roomKey(room), this.keys.node(this.o.nodeId), user, room + SEP + user)) as number;
      return n === 1;
    } catch (err) {
      this.degrade(err);
      return true; // announce to whoever can hear it: the local sockets
    }
  }

  async remove(room: string, user: string, _socketId: string): Promise<boolean> {
    if (!this.local.removeLocal(room, user)) return false;
    try {
      const id = this.o.nodeId;
      const n = (await this.run("chatPresenceRemove", this.roomKey(room), this.keys.node(id), this.keys.leaving(id), user, room + SEP + user)) as number;
      return n === 0;
    } catch (err) {
      this.degrade(err);
      return true;
    }
  }

  async members(room: string): Promise<string[]> {
    try {
      const users = await this.o.redis.hkeys(this.roomKey(room));
      // Local connections count even if a resync has not published them yet.
      return [...new Set([...users, ...this.local.localMembers(room)])];
    } catch (err) {
      this.degrade(err);
      return this.local.localMembers(room);
    }
  }

  localSize(): number {
    return this.local.localSize();
  }

  announced(room: string, user: string): void {
    void this.settle([room + SEP + user]);
  }

  /** Publishes owed leaves (onReaped) and settles them; resolves once settled or failed. */
  private announce(pairs: string[]): Promise<void> {
    if (pairs.length === 0) return Promise.resolve();
    this.o.onReaped(
      pairs.map((p) => {
        const i = p.indexOf(SEP);
        return { room: p.slice(0, i), user: p.slice(i + 1) };
      }),
    );
    return this.settle(pairs);
  }

  /** Clears owed leaves once announced; a failure leaves them owed (a reaper may repeat them). */
  private settle(pairs: string[]): Promise<void> {
    const via = this.o.announcer ?? this.o.redis;
    return via.srem(this.keys.leaving(this.o.nodeId), ...pairs).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Republishes this node's pairs, replacing what Redis had for it (after an outage or a reap). */
  async resync(): Promise<void> {
    const pairs = [...this.local.localPairs()].map(([room, user]) => room + SEP + user);
    const id = this.o.nodeId;
    const gone = (await this.run("chatPresenceReplace", this.keys.nodes, this.keys.node(id), this.keys.leaving(id), id, this.keys.roomPrefix, ...pairs)) as string[];
    this.dirty = false;
    if (gone.length > 0) this.o.log.info({ users: gone.length }, "announcing leaves that presence still owed this node");
    await this.announce(gone);
  }

  /** Graceful exit: take the node's pairs back at once instead of waiting for the reaper. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      const id = this.o.nodeId;
      const gone = (await this.run("chatPresenceReplace", this.keys.nodes, this.keys.node(id), this.keys.leaving(id), id, this.keys.roomPrefix)) as string[];
      // Pairs a failed removal left behind: announce them before the connections close
      // (the settle's reply means the announcement, sent before it, was processed).
      await this.announce(gone);
      await this.o.redis.zrem(this.keys.nodes, this.o.nodeId);
    } catch (err) {
      this.o.log.warn({ err }, "could not remove this node's presence; the reaper will");
    }
    await this.local.close();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.dirty) await this.resync();
      const registered = (await this.run("chatPresenceHeartbeat", this.keys.nodes, this.o.nodeId)) as number;
      if (registered === 0) {
        // Another node reaped us (we stalled past the TTL): publish our pairs again.
        this.o.log.warn("this node was reaped from presence; republishing");
        await this.resync();
      }
      await this.reapStale();
    } catch (err) {
      this.degrade(err);
    }
  }

  private async reapStale(): Promise<void> {
    const staleMs = Math.floor(this.o.ttlMs * 0.4);
    const dead = (await this.run("chatPresenceStale", this.keys.nodes, staleMs)) as string[];
    for (const id of dead) {
      if (id === this.o.nodeId) continue;
      const gone = (await this.run(
        "chatPresenceReap",
        this.keys.nodes,
        this.keys.node(id),
        this.keys.leaving(id),
        this.keys.leaving(this.o.nodeId),
        id,
        staleMs,
        this.keys.roomPrefix,
      )) as string[];
      if (gone.length === 0) continue;
      this.o.log.info({ node: id, users: gone.length }, "reaped a dead node's presence");
      void this.announce(gone);
    }
  }

  private degrade(err: unknown): void {
    if (!this.dirty) this.o.log.warn({ err }, "presence fell back to this node's connections until Redis returns");
    this.dirty = true;
  }

  private roomKey(room: string): string {
    return this.keys.roomPrefix + room;
  }
}
