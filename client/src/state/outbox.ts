/**
 * A room's outbox: messages written but not yet taken by the server, sent one at a time and
 * in order once the room is joined; a rate limit holds them, a send refused as too long goes
 * back to the composer. The Room (room.ts) holds one and hands its sends to it.
 */
import type { Message } from "../../../src/shared/wire.js";
import type { UploadedFile } from "./attachments.js";
import { tooLongLimit } from "./format.js";
import type { CallResult, Room, RoomHost } from "./room.js";

export class Outbox {
  /** A `message:send` is in flight (sends go one at a time, in order). */
  sending = false;
  /** Text of sends refused as too long, for the composer to take back (`takeReturned`). */
  returned?: string;
  /** Files of those sends, for the composer's tray to take back (`takeReturnedFiles`). */
  private returnedFiles: UploadedFile[] = [];
  /** Rate-limited until then (epoch ms): no send starts before. */
  private holdUntil = 0;

  constructor(
    private readonly r: Room,
    private readonly host: RoomHost,
  ) {}

  /**
   * Sends a message (a reply with `threadOf`): shown at once as pending, sent when the room
   * is joined. `files` were uploaded already (uploads need the network; the message then
   * waits in the outbox like any other); with files the body may be empty.
   */
  send(body: string, threadOf?: number, files: UploadedFile[] = []): string | undefined {
    const text = body.trim();
    if (text === "" && files.length === 0) return undefined;
    const clientId = this.host.newClientId();
    const o = this.r.log.addOutgoing(clientId, text, new Date(this.host.now()), threadOf);
    if (files.length > 0) o.files = files;
    this.r.emitter.stop();
    this.r.error = undefined;
    this.retry(clientId);
    return clientId;
  }

  /** Sends a failed message again, with the same clientId (the server de-duplicates). */
  retry(clientId: string) {
    this.r.error = undefined;
    this.r.log.requeue(clientId);
    void this.pump();
    this.host.changed();
  }

  discard(clientId: string) {
    this.r.log.discardOutgoing(clientId);
    if (this.r.log.outgoing().every((o) => o.status !== "failed")) this.r.error = undefined;
    this.host.changed();
  }

  /**
   * Sends the pending messages one at a time, in the order they were written: the server
   * handles a socket's events concurrently, so two sends in flight at once could be stored
   * (and numbered) in either order.
   */
  async pump(): Promise<void> {
    const host = this.host;
    if (this.sending || !this.r.joined || !host.isConnected() || host.now() < this.holdUntil) return;
    const next = this.r.log.outgoing().find((o) => o.status === "pending");
    if (!next) return;
    const o = this.r.log.attempt(next.clientId)!;
    this.sending = true;
    host.changed();
    let ack: CallResult<{ message: Message }>;
    try {
      const payload = { room: this.r.room, body: o.body, clientId: o.clientId };
      const attachments = o.files?.map((f) => f.id);
      ack = await host.call<{ message: Message }>("message:send", {
        ...payload,
        ...(o.threadOf !== undefined && { threadOf: o.threadOf }),
        ...(attachments && { attachments }),
      });
    } finally {
      this.sending = false;
    }
    if (ack.ok) {
      this.r.log.applyAck(ack.message);
    } else if (ack.error.code === "disconnected") {
      // Lost with the connection: the re-join sends it again with the same clientId.
      host.changed();
      return;
    } else if (ack.error.code === "not_joined") {
      this.r.lostTrack();
      host.changed();
      return;
    } else if (ack.error.code === "rate_limited") {
      // The server said when to ask again: this message and the ones after it wait that
      // long, in order, and go by themselves.
      const ms = Math.max(0, ack.error.retryAfterMs ?? 1000);
      this.holdUntil = host.now() + ms;
      this.r.log.waitOutgoing(o.clientId, this.holdUntil);
      host.later(ms, () => {
        this.holdUntil = 0;
        if (host.isCurrent(this.r)) void this.pump();
      });
      host.changed();
      return;
    } else if (tooLongLimit(ack.error) !== undefined) {
      // Sending it again cannot help: it goes back to the composer to be shortened.
      const limit = tooLongLimit(ack.error)!;
      if (limit > 0) host.limitLearnt(limit);
      this.r.log.discardOutgoing(o.clientId);
      this.returned = this.returned === undefined ? o.body : `${this.returned}\n${o.body}`;
      if (o.files) this.returnedFiles.push(...o.files);
      this.r.error = ack.error;
    } else {
      this.r.log.failOutgoing(o.clientId, ack.error);
      this.r.error = ack.error;
    }
    host.changed();
    if (host.isCurrent(this.r)) void this.pump();
  }

  /** The files of refused sends, for the composer's tray, once (still uploaded and unlinked). */
  takeReturnedFiles(): UploadedFile[] {
    return this.returnedFiles.splice(0);
  }

  /** The refused text for the composer, once. */
  takeReturned(): string | undefined {
    const text = this.returned;
    this.returned = undefined;
    if (text !== undefined) this.host.changed();
    return text;
  }
}
