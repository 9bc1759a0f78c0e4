/**
 * Cluster-wide presence in Redis, without asking every node (`fetchSockets`) on each join.
 *
 * Each node counts its own sockets in `LocalPresence` and tells Redis only when a (room, user)
 * pair appears on or disappears from the node. Redis keeps, per room, how many nodes have
 * each user and each node's users there, all under the room's hash tag (presence-scripts.ts
 * has the layout), so every script touches one slot and runs on a Redis Cluster as on one
 * Redis. Each node lists the rooms it has pairs in (`<p>:pr:idx:<id>`), written before its
 * first pair in a room, so that a dead node's pairs can be found and taken back. Nodes
 * heartbeat into one sorted set scored by Redis time; a node that misses heartbeats for 0.4
 * of the TTL is claimed by whichever live node gets there first, which then takes its pairs
 * back room by room (each room's script atomic and repeatable, so a reaper that dies half-way
 * is replaced by the next one after its claim goes stale) and announces the users that left.
 * A node being reaped does not republish its pairs until the reap is over.
 *
 * When Redis is unreachable the node answers from its own connections and marks itself
 * dirty; when Redis comes back it replaces its whole contribution, room by room.
 *
 * A leave is owed until it is announced. The script that finds a user gone from a room (a
 * last connection's removal, or a reap) also records the user in the announcing node's
 * owed set of that room, and the node takes it out again once Redis has answered the
 * announcement's publish. A node that dies between the two is reaped with its owed leaves,
 * which the reaper announces (unless the user is back): a leave can then be announced
 * twice, but is never lost.
 */
import type { Logger } from "../logger.js";
import type { RedisClient } from "./clients.js";
import { LocalPresence } from "./local-presence.js";
import { presenceKeys, SCRIPTS, type ScriptName } from "./presence-scripts.js";

export interface RedisPresenceOptions {
  redis: RedisClient;
  /**
   * Resolves once Redis has answered every publish issued so far, true if all succeeded:
   * owed leaves are cleared only after their announcement was processed.
   * @default nothing to wait for
   */
  published?: () => Promise<boolean>;
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
  onReaped: (gone: Pair[]) => void;
}

type Pair = { room: string; user: string };

export class RedisPresence {
  readonly local = new LocalPresence();
  private readonly keys: ReturnType<typeof presenceKeys>;
  /** Rooms this node has listed in its index; and, per room, its scripts in flight. */
  private readonly indexed = new Map<string, Promise<unknown>>();
  private readonly busy = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;

  constructor(private readonly o: RedisPresenceOptions) {
    this.keys = presenceKeys(o.keyPrefix);
    for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS)) o.redis.defineCommand(name, { lua, numberOfKeys });
  }

  /** Runs a script by its SHA (ioredis falls back to EVAL after a Redis restart). */
  private run<T>(name: ScriptName, ...keysAndArgs: (string | number)[]): Promise<T> {
    return (this.o.redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<T>>)[name](...keysAndArgs);
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
    return this.inRoom(room, async () => {
      // Listed before the pair exists: a reaper always finds the room.
      let listed = this.indexed.get(room);
      if (!listed) this.indexed.set(room, (listed = this.o.redis.sadd(this.keys.index(this.o.nodeId), room)));
      await listed;
      const [roomKey, usersKey] = this.keys.ofNode(room, this.o.nodeId);
      return (await this.run<number>("chatPresenceAdd", roomKey!, usersKey!, user)) === 1;
    });
  }

  async remove(room: string, user: string, _socketId: string): Promise<boolean> {
    if (!this.local.removeLocal(room, user)) return false;
    return this.inRoom(room, async () => (await this.run<number>("chatPresenceRemove", ...this.keys.ofNode(room, this.o.nodeId), user)) === 0);
  }

  /** Runs a room's script, counted in flight; answers true (announce locally) if Redis fails. */
  private async inRoom(room: string, script: () => Promise<boolean>): Promise<boolean> {
    this.busy.set(room, (this.busy.get(room) ?? 0) + 1);
    try {
      return await script();
    } catch (err) {
      this.degrade(err);
      return true; // announce to whoever can hear it: the local sockets
    } finally {
      const n = this.busy.get(room)! - 1;
      if (n > 0) this.busy.set(room, n);
      else {
        this.busy.delete(room);
        this.unlistIfEmpty(room);
      }
    }
  }

  /**
   * Drops a room from the node's index once it has no user there and no script in flight.
   * Decided synchronously: a later add's SADD goes to the same key, so Redis sees it after.
   */
  private unlistIfEmpty(room: string): void {
    // Once per join and leave: a room of thousands must not be listed for it.
    if (!this.indexed.has(room) || this.busy.has(room) || this.local.hasLocalMembers(room)) return;
    this.indexed.delete(room);
    this.o.redis.srem(this.keys.index(this.o.nodeId), room).catch((err: unknown) => this.degrade(err));
  }

  async members(room: string): Promise<string[]> {
    try {
      const users = await this.o.redis.hkeys(this.keys.users(room));
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
    void this.settle([{ room, user }]);
  }

  /** Publishes owed leaves (onReaped) and settles them; resolves once settled or failed. */
  private announce(pairs: Pair[]): Promise<void> {
    if (pairs.length === 0) return Promise.resolve();
    this.o.onReaped(pairs);
    return this.settle(pairs);
  }

  /** Clears owed leaves once their announcement was processed; a failure leaves them owed (a reaper may repeat them). */
  private async settle(pairs: Pair[]): Promise<void> {
    try {
      if (this.o.published && !(await this.o.published())) return;
      const byRoom = new Map<string, string[]>();
      for (const { room, user } of pairs) byRoom.set(room, [...(byRoom.get(room) ?? []), user]);
      await Promise.all([...byRoom].map(([room, users]) => this.o.redis.srem(this.keys.owed(room, this.o.nodeId), ...users)));
    } catch {
      // still owed: announced again by this node's next replace or by its reaper
    }
  }

  /** The rooms a node lists, with this node's own rooms when it is this node. */
  private async roomsOf(id: string): Promise<Set<string>> {
    const listed = await this.o.redis.smembers(this.keys.index(id));
    return new Set(id === this.o.nodeId ? [...listed, ...this.indexed.keys(), ...this.rooms()] : listed);
  }

  private rooms(): Set<string> {
    return new Set([...this.local.localPairs()].map(([room]) => room));
  }

  /**
   * Republishes this node's pairs, replacing what Redis had for it (at start, after an
   * outage or a reap), unless a reaper is still taking its old pairs back (then later).
   */
  async resync(): Promise<void> {
    const id = this.o.nodeId;
    if ((await this.run<number>("chatPresenceHeartbeat", this.keys.live, this.keys.reaping, id)) === -1) {
      this.dirty = true;
      return;
    }
    const local = this.rooms();
    const listed = local.size > 0 ? this.o.redis.sadd(this.keys.index(id), ...local) : Promise.resolve();
    for (const room of local) this.indexed.set(room, listed);
    await listed;
    const rooms = await this.roomsOf(id);
    const gone = await this.replaceAll(rooms, (room) => this.local.localMembers(room));
    // What a previous process, or users gone since, left listed: unlisted once empty.
    for (const room of rooms) {
      if (!this.indexed.has(room)) this.indexed.set(room, listed);
      this.unlistIfEmpty(room);
    }
    this.dirty = false;
    if (gone.length > 0) this.o.log.info({ users: gone.length }, "announcing leaves that presence still owed this node");
    await this.announce(gone);
  }

  /** Each room's replace is issued right after reading its local users: a later add of the room reaches Redis after it. */
  private async replaceAll(rooms: Iterable<string>, users: (room: string) => string[]): Promise<Pair[]> {
    const id = this.o.nodeId;
    const replies = [...rooms].map(async (room) => {
      const gone = await this.run<string[]>("chatPresenceReplace", ...this.keys.ofNode(room, id), ...users(room));
      return gone.map((user) => ({ room, user }));
    });
    return (await Promise.all(replies)).flat();
  }

  /** Graceful exit: take the node's pairs back at once instead of waiting for the reaper. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      const id = this.o.nodeId;
      const gone = await this.replaceAll(await this.roomsOf(id), () => []);
      // Pairs a failed removal left behind: announce them before the connections close.
      await this.announce(gone);
      await this.o.redis.del(this.keys.index(id));
      await this.o.redis.zrem(this.keys.live, id);
    } catch (err) {
      this.o.log.warn({ err }, "could not remove this node's presence; the reaper will");
    }
    await this.local.close();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.dirty) await this.resync();
      else {
        const registered = await this.run<number>("chatPresenceHeartbeat", this.keys.live, this.keys.reaping, this.o.nodeId);
        if (registered === 0) {
          // Another node reaped us (we stalled past the TTL): publish our pairs again.
          this.o.log.warn("this node was reaped from presence; republishing");
          await this.resync();
        } else if (registered === -1) this.dirty = true;
      }
      await this.reapStale();
    } catch (err) {
      this.degrade(err);
    }
  }

  private async reapStale(): Promise<void> {
    const staleMs = Math.floor(this.o.ttlMs * 0.4);
    const me = this.o.nodeId;
    const dead = await this.run<string[]>("chatPresenceStale", this.keys.live, this.keys.reaping, staleMs);
    for (const id of new Set(dead)) {
      if (id === me) continue;
      const claim = await this.run<number>("chatPresenceClaim", this.keys.live, this.keys.reaping, id, staleMs);
      if (!claim) continue;
      const replies = [...(await this.roomsOf(id))].map(async (room) => {
        const keys = [...this.keys.ofNode(room, id), this.keys.owed(room, me)];
        return (await this.run<string[]>("chatPresenceReapRoom", ...keys)).map((user) => ({ room, user }));
      });
      const gone = (await Promise.all(replies)).flat();
      await this.o.redis.del(this.keys.index(id));
      await this.run("chatPresenceFinish", this.keys.reaping, id, claim);
      if (gone.length === 0) continue;
      this.o.log.info({ node: id, users: gone.length }, "reaped a dead node's presence");
      void this.announce(gone);
    }
  }

  /** Republish at the next heartbeat: Redis may have lost writes (a primary failed over before replicating them). */
  resyncSoon(): void {
    this.dirty = true;
  }

  private degrade(err: unknown): void {
    if (!this.dirty) this.o.log.warn({ err }, "presence fell back to this node's connections until Redis returns");
    this.dirty = true;
  }
}
