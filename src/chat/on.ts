import type { Socket } from "socket.io";
import type { z } from "zod";

/** A chat handler: the validated payload in, the ack's fields out (or a thrown ChatError). */
export type Handler<S extends z.ZodType> = (payload: z.output<S>, socket: Socket) => Promise<object | void>;

/**
 * Registers a validated handler for one client event. node.ts passes realtime's registrar,
 * which wraps each handler in `handle()` (realtime/handle.ts); chat does not import it.
 */
export type On = <S extends z.ZodType>(event: string, schema: S, fn: Handler<S>) => void;
export type { Socket };
