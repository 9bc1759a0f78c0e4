/**
 * The two requests the tester makes of chat-cluster, in the contract's shapes, shared by
 * both chat clients (socket.io-client's ChatConn in conn.ts and LeanChatConn): each
 * supplies only how an emit with an ack travels.
 */
import type { JoinResult, Message } from "../src/shared/protocol.js";
import type { JoinInfo } from "./conn-api.js";

export abstract class ChatRequests {
  /** Emits `event` with an ack; resolves with an `ok` ack, rejects with a RequestError. */
  protected abstract request<T extends object>(event: "room:join" | "message:send", payload: object, timeoutMs: number): Promise<T>;

  async join(room: string, since: number | undefined, timeoutMs: number): Promise<JoinInfo> {
    const r = await this.request<JoinResult>("room:join", since === undefined ? { room } : { room, since }, timeoutMs);
    return { lastSeq: r.lastSeq, messages: since === undefined ? [] : r.messages, hasMore: r.hasMore };
  }

  async send(room: string, body: string, clientId: string, timeoutMs: number): Promise<number> {
    const r = await this.request<{ message: Message }>("message:send", { room, body, clientId }, timeoutMs);
    return r.message.seq;
  }
}
