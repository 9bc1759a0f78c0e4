/**
 * Who is connected to which room: what chat asks of a presence registry. node.ts passes
 * one from src/cluster/ (LocalPresence on a single node, RedisPresence across nodes).
 */

export interface PresenceRegistry {
  /** Records a connection; true when it is the user's first connection in the room, cluster-wide. */
  add(room: string, user: string, socketId: string): Promise<boolean>;
  /**
   * Forgets a connection; true when it was the user's last connection in the room,
   * cluster-wide. The leave is then owed until `announced` is called for it.
   */
  remove(room: string, user: string, socketId: string): Promise<boolean>;
  /** The leave that `remove` returned true for has been published. */
  announced(room: string, user: string): void;
  /** Distinct users connected to the room anywhere. */
  members(room: string): Promise<string[]>;
  /** Distinct (room, user) pairs on this node (metrics). */
  localSize(): number;
  close(): Promise<void>;
}
