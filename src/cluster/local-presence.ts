/**
 * This node's connections per (room, user). A single node uses it as the presence registry
 * (chat/presence-registry.ts says what chat asks of one); the cluster's registry
 * (redis-presence.ts) wraps it and shares the node's pairs through Redis.
 */

export class LocalPresence {
  /**
   * room -> user -> this node's connections of the user in the room. A count, not the
   * socket ids: callers (chat/membership.ts) add and remove each socket's room once.
   */
  private rooms = new Map<string, Map<string, number>>();
  private pairs = 0;

  async add(room: string, user: string, _socketId: string): Promise<boolean> {
    return this.addLocal(room, user);
  }

  async remove(room: string, user: string, _socketId: string): Promise<boolean> {
    return this.removeLocal(room, user);
  }

  async members(room: string): Promise<string[]> {
    return this.localMembers(room);
  }

  localSize(): number {
    return this.pairs;
  }

  /** A single node announces to its own sockets at once: nothing is owed. */
  announced(_room: string, _user: string): void {}

  async close(): Promise<void> {
    this.rooms.clear();
    this.pairs = 0;
  }

  /** true when the user had no connection in the room on this node before. */
  addLocal(room: string, user: string): boolean {
    let users = this.rooms.get(room);
    if (!users) this.rooms.set(room, (users = new Map()));
    const n = users.get(user) ?? 0;
    users.set(user, n + 1);
    if (n === 0) this.pairs++;
    return n === 0;
  }

  /** true when that was the user's last connection in the room on this node. */
  removeLocal(room: string, user: string): boolean {
    const users = this.rooms.get(room);
    const n = users?.get(user);
    if (!users || !n) return false;
    if (n > 1) {
      users.set(user, n - 1);
      return false;
    }
    users.delete(user);
    this.pairs--;
    if (users.size === 0) this.rooms.delete(room);
    return true;
  }

  /** Whether the room has a connection on this node, without listing its users. */
  hasLocalMembers(room: string): boolean {
    return this.rooms.has(room);
  }

  localMembers(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }

  /** Every (room, user) pair on this node: what the cluster registry republishes. */
  *localPairs(): Generator<[string, string]> {
    for (const [room, users] of this.rooms) for (const user of users.keys()) yield [room, user];
  }
}
