/**
 * Who is connected to which room.
 *
 * `LocalPresence` tracks this node's connections. A single node uses it as the registry;
 * the cluster's registry (src/cluster/presence.ts) wraps it and shares the node's
 * (room, user) pairs through Redis.
 */

export interface PresenceRegistry {
  /** Records a connection; true when it is the user's first connection in the room, cluster-wide. */
  add(room: string, user: string, socketId: string): Promise<boolean>;
  /** Forgets a connection; true when it was the user's last connection in the room, cluster-wide. */
  remove(room: string, user: string, socketId: string): Promise<boolean>;
  /** Distinct users connected to the room anywhere. */
  members(room: string): Promise<string[]>;
  /** Distinct (room, user) pairs on this node (metrics). */
  localSize(): number;
  close(): Promise<void>;
}

export class LocalPresence implements PresenceRegistry {
  /** room -> user -> socket ids on this node */
  private rooms = new Map<string, Map<string, Set<string>>>();
  private pairs = 0;

  async add(room: string, user: string, socketId: string): Promise<boolean> {
    return this.addLocal(room, user, socketId);
  }

  async remove(room: string, user: string, socketId: string): Promise<boolean> {
    return this.removeLocal(room, user, socketId);
  }

  async members(room: string): Promise<string[]> {
    return this.localMembers(room);
  }

  localSize(): number {
    return this.pairs;
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.pairs = 0;
  }

  /** true when the user had no connection in the room on this node before. */
  addLocal(room: string, user: string, socketId: string): boolean {
    let users = this.rooms.get(room);
    if (!users) this.rooms.set(room, (users = new Map()));
    let sockets = users.get(user);
    const first = !sockets;
    if (!sockets) {
      users.set(user, (sockets = new Set()));
      this.pairs++;
    }
    sockets.add(socketId);
    return first;
  }

  /** true when that was the user's last connection in the room on this node. */
  removeLocal(room: string, user: string, socketId: string): boolean {
    const users = this.rooms.get(room);
    const sockets = users?.get(user);
    if (!users || !sockets || !sockets.delete(socketId)) return false;
    if (sockets.size > 0) return false;
    users.delete(user);
    this.pairs--;
    if (users.size === 0) this.rooms.delete(room);
    return true;
  }

  localMembers(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }

  /** Every (room, user) pair on this node: what the cluster registry republishes. */
  *localPairs(): Generator<[string, string]> {
    for (const [room, users] of this.rooms) for (const user of users.keys()) yield [room, user];
  }
}
