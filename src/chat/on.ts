import type { Socket } from "socket.io";
import type { z } from "zod";
import type { Handler } from "../realtime/handle.js";

/** Registers a validated handler for one client event on one socket (bound in realtime/connection.ts). */
export type On = <S extends z.ZodType>(event: string, schema: S, fn: Handler<S>) => void;
export type { Socket };
