/**
 * Prometheus metrics. One registry per node object, so that several in-process nodes
 * (tests) never share counters. Label values are bounded sets (event names the server
 * knows, error codes), never user input.
 */
import { readdir } from "node:fs/promises";
import client from "prom-client";

export interface Metrics {
  registry: client.Registry;
  connectedSockets: client.Gauge;
  events: client.Counter<"event" | "outcome">;
  eventDuration: client.Histogram<"event">;
  unknownEvents: client.Counter;
  messagesStored: client.Counter;
  storeWriteDuration: client.Histogram;
  storeBatchSize: client.Histogram;
  rateLimited: client.Counter;
  backlogClosed: client.Counter;
  presenceUsers: client.Gauge;
  redisUp: client.Gauge;
  dbUp: client.Gauge;
  dbReads: client.Counter<"target">;
  searchSteps: client.Counter<"step">;
  httpRequests: client.Counter<"route" | "status">;
  ready: client.Gauge;
  deliveries: client.Counter<"dialect">;
  connectionsOpened: client.Counter;
  connectionsClosed: client.Counter<"reason">;
  connectionsRefused: client.Counter<"reason">;
  joins: client.Counter<"dialect">;
  redisCommandDuration: client.Histogram<"client">;
  pubsubMessages: client.Counter<"direction">;
  /** Where the PostgreSQL pool gauges read from at scrape time (unset: PGlite, no pool). */
  watchDbPool(source: () => PoolStats | undefined): void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/**
 * Every value a bounded label can take, so that each series exists from the start: a rate
 * over a counter never incremented is then 0 rather than no data.
 */
export const DIALECTS = ["v1", "legacy"] as const;
export type Dialect = (typeof DIALECTS)[number];
/** Socket.IO's disconnect reasons (a fixed set in socket.io 4); anything else is "other". */
export const CLOSE_REASONS = [
  "transport close",
  "transport error",
  "ping timeout",
  "parse error",
  "forced close",
  "server namespace disconnect",
  "client namespace disconnect",
  "server shutting down",
  "forced server close",
  "other",
] as const;
/** Why a handshake was refused: auth failures, the per-IP/user caps, draining, a foreign origin. */
const KNOWN_CLOSE_REASONS: ReadonlySet<string> = new Set(CLOSE_REASONS);
export function closeReasonLabel(reason: string): string {
  return KNOWN_CLOSE_REASONS.has(reason) ? reason : "other";
}
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
export const REFUSAL_REASONS = ["unauthorized", "invalid_username", "too_many_connections", "draining", "origin"] as const;
export const REDIS_CLIENTS = ["commands", "pub", "sub"] as const;

export function createMetrics(nodeId: string): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ node: nodeId });
  client.collectDefaultMetrics({ register: registry });
  scrapeWithoutHandleWalks(registry);
  let pool: () => PoolStats | undefined = () => undefined;
  poolGauges(registry, () => pool());
  return {
    registry,
    watchDbPool(source) {
      pool = source;
    },
    ...trafficMetrics(registry),
    connectedSockets: new client.Gauge({
      name: "chat_connected_sockets",
      help: "Socket.IO connections open on this node",
      registers: [registry],
    }),
    events: new client.Counter({
      name: "chat_events_total",
      help: "Client events handled, by event name and outcome (ok or an error code)",
      labelNames: ["event", "outcome"],
      registers: [registry],
    }),
    eventDuration: new client.Histogram({
      name: "chat_event_duration_seconds",
      help: "Time from receiving a client event to its ack",
      labelNames: ["event"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    unknownEvents: new client.Counter({
      name: "chat_unknown_events_total",
      help: "Client events with a name the server does not know",
      registers: [registry],
    }),
    messagesStored: new client.Counter({
      name: "chat_messages_stored_total",
      help: "Messages committed to the database by this node",
      registers: [registry],
    }),
    storeWriteDuration: new client.Histogram({
      name: "chat_store_write_duration_seconds",
      help: "Duration of one write transaction (a batch of messages)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    storeBatchSize: new client.Histogram({
      name: "chat_store_batch_size",
      help: "Messages written per write transaction (group commit)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    }),
    rateLimited: new client.Counter({
      name: "chat_rate_limited_total",
      help: "Sends refused with rate_limited",
      registers: [registry],
    }),
    backlogClosed: new client.Counter({
      name: "chat_backlog_closed_total",
      help: "Connections closed because their client stopped reading (MAX_SOCKET_BACKLOG_BYTES)",
      registers: [registry],
    }),
    presenceUsers: new client.Gauge({
      name: "chat_presence_users",
      help: "Distinct (room, user) pairs connected on this node",
      registers: [registry],
    }),
    redisUp: new client.Gauge({
      name: "chat_redis_up",
      help: "1 when the Redis clients are connected, 0 when not, -1 when Redis is not configured",
      registers: [registry],
    }),
    dbUp: new client.Gauge({
      name: "chat_db_up",
      help: "1 when the last database check or write succeeded, 0 when it failed",
      registers: [registry],
    }),
    dbReads: new client.Counter({
      name: "chat_db_reads_total",
      help: "Reads (history, catch-up, rooms:list, search, REST) by the server that answered them: primary or replica",
      labelNames: ["target"],
      registers: [registry],
    }),
    searchSteps: new client.Counter({
      name: "chat_search_steps_total",
      help: "Searches by the step that answered them (store/search.ts): recent rows, the id window, or every match",
      labelNames: ["step"],
      registers: [registry],
    }),
    ready: new client.Gauge({
      name: "chat_ready",
      help: "1 while this node accepts connections (/readyz 200), 0 while starting or draining",
      registers: [registry],
    }),
    httpRequests: new client.Counter({
      name: "chat_http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
  };
}

/** Deliveries, connections, joins and Redis: the counters on-call reads first. */
function trafficMetrics(registry: client.Registry) {
  const withLabels = <T extends string>(c: client.Counter<T>, label: T, values: readonly string[]) => {
    for (const v of values) c.inc({ [label]: v } as Partial<Record<T, string>>, 0);
    return c;
  };
  return {
    deliveries: withLabels(
      new client.Counter({
        name: "chat_deliveries_total",
        help: "Chat messages written to this node's sockets (one per recipient), by the recipient's dialect",
        labelNames: ["dialect"],
        registers: [registry],
      }),
      "dialect",
      DIALECTS,
    ),
    connectionsOpened: new client.Counter({
      name: "chat_connections_opened_total",
      help: "Socket.IO connections accepted by this node",
      registers: [registry],
    }),
    connectionsClosed: withLabels(
      new client.Counter({
        name: "chat_connections_closed_total",
        help: "Socket.IO connections closed, by Socket.IO's disconnect reason",
        labelNames: ["reason"],
        registers: [registry],
      }),
      "reason",
      CLOSE_REASONS,
    ),
    connectionsRefused: withLabels(
      new client.Counter({
        name: "chat_connections_refused_total",
        help: "Connection attempts refused at the handshake, by reason",
        labelNames: ["reason"],
        registers: [registry],
      }),
      "reason",
      REFUSAL_REASONS,
    ),
    joins: withLabels(
      new client.Counter({
        name: "chat_joins_total",
        help: "Rooms joined by a socket (not counting a repeated join of the same room), by dialect",
        labelNames: ["dialect"],
        registers: [registry],
      }),
      "dialect",
      DIALECTS,
    ),
    redisCommandDuration: new client.Histogram({
      name: "chat_redis_command_duration_seconds",
      help: "Time from issuing a Redis command to its reply, by client (commands: limits and presence, pub: publishes, sub: subscriptions)",
      labelNames: ["client"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    pubsubMessages: withLabels(
      new client.Counter({
        name: "chat_redis_pubsub_messages_total",
        help: "Redis pub/sub messages published (out) and received (in) by this node",
        labelNames: ["direction"],
        registers: [registry],
      }),
      "direction",
      ["in", "out"],
    ),
  };
}

/** The PostgreSQL pool, read when Prometheus scrapes (nothing on the query path). */
function poolGauges(registry: client.Registry, read: () => PoolStats | undefined): void {
  const gauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const s = read();
        if (s) this.set(pick(s));
      },
    });
  gauge("chat_db_pool_connections", "PostgreSQL connections open in this node's pool", (s) => s.total);
  gauge("chat_db_pool_in_use", "PostgreSQL connections checked out of the pool (running a query or transaction)", (s) => s.total - s.idle);
  gauge("chat_db_pool_waiting", "Queries waiting for a free PostgreSQL connection", (s) => s.waiting);
  gauge("chat_db_pool_max", "DATABASE_POOL_MAX: the most connections the pool opens", (s) => s.max);
}

/**
 * Default metrics that walk every handle or file descriptor of the process on each scrape,
 * on the event loop. With 10,000 sockets in a process a scrape took 40 ms, 21 of them in
 * these four (prom-client 15; docs/benchmarks.md): a connection server's scrape would stall
 * every message for as long, growing with its connections. chat_connected_sockets counts
 * what they mostly counted.
 */
const PER_HANDLE_DEFAULTS = [
  "nodejs_active_handles",
  "nodejs_active_handles_total",
  "nodejs_active_resources",
  "nodejs_active_resources_total",
];

function scrapeWithoutHandleWalks(registry: client.Registry): void {
  for (const name of PER_HANDLE_DEFAULTS) registry.removeSingleMetric(name);
  if (registry.getSingleMetric("process_open_fds") === undefined) return; // not Linux
  // prom-client lists /proc/self/fd synchronously (15 ms at 10,000 descriptors). The same
  // count, listed on libuv's thread pool: the event loop only receives the names.
  registry.removeSingleMetric("process_open_fds");
  new client.Gauge({
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    registers: [registry],
    async collect() {
      try {
        // Minus the descriptor the listing itself holds open.
        this.set((await readdir("/proc/self/fd")).length - 1);
      } catch {
        // /proc unavailable: leave the last value
      }
    },
  });
}
