/**
 * A client that behaves as the contract asks of real clients: it de-duplicates by
 * (room, seq), fetches gaps as soon as it sees one, re-joins with `since` after a reconnect
 * or a `rooms:resync`, and moves to another node when its node goes away.
 */
import type { Message } from "../../src/shared/protocol.js";
import { call, connect, sleep, type Client } from "./client.js";

export class Reader {
  socket: Client | undefined;
  /** room -> seq -> message */
  readonly log = new Map<string, Map<number, Message>>();
  reconnects = 0;
  private stopped = false;
  private urlIndex: number;
  private filling = new Set<string>();

  constructor(
    readonly user: string,
    private readonly urls: () => string[],
    readonly rooms: string[],
    start = 0,
  ) {
    this.urlIndex = start;
    for (const r of rooms) this.log.set(r, new Map());
  }

  /** Highest N such that 1..N are all here. */
  contiguous(room: string): number {
    const m = this.log.get(room)!;
    let n = 0;
    while (m.has(n + 1)) n++;
    return n;
  }

  seqs(room: string): number[] {
    return [...this.log.get(room)!.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const urls = this.urls();
      const url = urls[this.urlIndex % urls.length]!;
      try {
        const s = await connect(url, { username: this.user });
        this.attach(s);
        for (const room of this.rooms) await this.sync(room);
        return;
      } catch {
        this.urlIndex++;
        await sleep(Math.min(50 * (attempt + 1), 500));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }

  /**
   * Stops coming back without closing the connection, like a client whose network froze:
   * the server keeps the connection (and the user's presence) until it dies or times out.
   */
  detach(): void {
    this.stopped = true;
    this.socket?.io.reconnection(false);
  }

  private attach(s: Client): void {
    this.socket = s;
    s.on("message:new", (m: Message) => {
      const known = this.log.get(m.room);
      if (!known) return;
      known.set(m.seq, m);
      if (m.seq > this.contiguous(m.room) + 1) void this.sync(m.room);
    });
    s.on("rooms:resync", ({ rooms }: { rooms: string[] }) => {
      for (const r of rooms) if (this.log.has(r)) void this.sync(r);
    });
    s.on("disconnect", () => {
      if (this.stopped) return;
      this.reconnects++;
      this.urlIndex++; // try the next node: this one may be gone
      void this.start();
    });
  }

  /** (Re-)joins with since = what we have contiguously, paging until nothing is left. */
  async sync(room: string): Promise<void> {
    if (this.filling.has(room)) return;
    this.filling.add(room);
    try {
      for (;;) {
        const s = this.socket;
        if (!s?.connected) return;
        const since = this.contiguous(room);
        const j = await call(s, "room:join", { room, since }).catch(() => undefined);
        if (!j?.ok) return;
        for (const m of j.messages as Message[]) this.log.get(room)!.set(m.seq, m);
        if (!j.hasMore && this.contiguous(room) >= j.lastSeq) return;
        if (!j.hasMore && this.contiguous(room) === since) return;
      }
    } finally {
      this.filling.delete(room);
    }
  }
}
