/**
 * Redis as this node sees it: each command's time to its reply, and pub/sub messages out
 * (PUBLISH, SPUBLISH) and in. Measured on the node's own clients so that several nodes in
 * one process (tests) keep their numbers apart; ioredis's process-wide tracing channel
 * would also sanitise every command's arguments on the hot path.
 */
import type { Metrics } from "../metrics.js";
import type { RedisClient } from "./clients.js";

type ClientName = "commands" | "pub" | "sub";
interface CommandLike {
  name: string;
  promise: Promise<unknown>;
  [TIMED]?: true;
}

const TIMED = Symbol("chat.timed");
const PUBLISHES = new Set(["publish", "spublish"]);

export function instrumentRedis(clients: Record<ClientName, RedisClient>, metrics: Metrics): void {
  const out = metrics.pubsubMessages.labels("out");
  const received = metrics.pubsubMessages.labels("in");
  for (const [name, c] of Object.entries(clients) as [ClientName, RedisClient][]) {
    const duration = metrics.redisCommandDuration.labels(name);
    // One Redis and a Cluster both route every command through sendCommand.
    const client = c as unknown as { sendCommand: (command: CommandLike, ...rest: unknown[]) => unknown };
    const send = client.sendCommand;
    // Pipelines (auto-pipelining) go through the client's sendCommand too.
    client.sendCommand = function timedSendCommand(this: unknown, command: CommandLike, ...rest: unknown[]) {
      // A command can pass here again (offline queue, resend after a reconnect): time it once.
      if (!command[TIMED]) {
        command[TIMED] = true;
        const start = performance.now();
        const done = () => duration.observe((performance.now() - start) / 1000);
        command.promise.then(done, done);
        if (PUBLISHES.has(command.name)) out.inc();
      }
      return send.call(this, command, ...rest);
    };
  }
  const onMessage = () => received.inc();
  for (const event of ["messageBuffer", "pmessageBuffer", "smessageBuffer"]) clients.sub.on(event, onMessage);
}
