/**
 * All configuration, read from the environment in this one module.
 *
 * Every variable is validated together; a bad deployment gets one message naming every
 * invalid variable instead of failing on the first one at some later moment.
 * README.md's configuration table lists the same variables: keep them in step.
 */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from "./shared/wire.js";

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "must be an integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const optionalText = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === "" ? undefined : s));

/** What may be uploaded unless UPLOAD_ALLOWED_TYPES says otherwise: no SVG or HTML (scripts). */
export const DEFAULT_UPLOAD_TYPES = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
  "application/zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation",
];

const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  METRICS_PORT: int(0, 65535).default(9091),
  HOST: z.string().min(1).default("0.0.0.0"),
  NODE_ID: optionalText,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  DATABASE_URL: optionalText.pipe(
    z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
  ),
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  DATABASE_PREPARED_STATEMENTS: z.enum(["true", "false"]).default("true"),
  DATABASE_REPLICA_URL: optionalText.pipe(
    z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
  ),
  DATA_DIR: z.string().min(1).default(".data"),
  MIGRATE_ON_START: z.enum(["true", "false"]).default("true"),
  MESSAGE_RETENTION_DAYS: optionalText.pipe(int(1, 36_500).optional()),

  REDIS_URL: optionalText.pipe(z.string().regex(/^rediss?:\/\//, "must be a redis:// URL").optional()),
  REDIS_CLUSTER_NODES: optionalText.pipe(
    z
      .string()
      .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, "must be comma-separated host:port seeds")
      .optional(),
  ),
  REDIS_ADAPTER: z.enum(["classic", "sharded"]).default("sharded"),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1-64 of [A-Za-z0-9_.:-]").default("chat"),
  PRESENCE_TTL_MS: int(1000, 3_600_000).default(30_000),

  AUTH_MODE: z.enum(["open", "jwt"]).default("open"),
  JWT_SECRET: optionalText,
  JWT_PUBLIC_KEY: optionalText,
  JWKS_URL: optionalText.pipe(z.string().url("must be a URL").optional()),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  JWT_REQUIRE_EXP: z.enum(["true", "false"]).default("true"),
  SESSION_GRACE_MS: int(0, 600_000).default(5000),

  HISTORY_LIMIT: int(1, MAX_HISTORY_LIMIT).default(DEFAULT_HISTORY_LIMIT),
  MAX_MESSAGE_CHARS: int(1, 100_000).default(4000),
  RATE_LIMIT_SENDS: int(1, 1_000_000).default(30),
  RATE_LIMIT_WINDOW_MS: int(100, 3_600_000).default(10_000),
  // 1: with 20 users searching, other users' send-ack p99 49 ms at 1, 74 at 2, 88 at 4 (docs/benchmarks.md).
  SEARCH_CONCURRENCY: int(1, 100).default(1),
  SEARCH_TIMEOUT_MS: int(100, 60_000).default(2000),
  SEARCH_RATE_LIMIT: int(1, 1_000_000).default(20),
  SEARCH_RATE_WINDOW_MS: int(100, 3_600_000).default(10_000),
  MAX_HTTP_BUFFER_SIZE: int(1024, 100 * 1024 * 1024).default(65_536),
  MAX_SOCKET_BACKLOG_BYTES: int(0, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  STORE_BATCHES_IN_FLIGHT: int(1, 16).default(2),
  EVENT_RATE_LIMIT: int(0, 1_000_000).default(100),
  EVENT_RATE_WINDOW_MS: int(100, 3_600_000).default(1000),
  MAX_CONNECTIONS_PER_IP: int(0, 1_000_000).default(0),
  MAX_CONNECTIONS_PER_USER: int(0, 1_000_000).default(50),
  MAX_ROOMS_PER_CONNECTION: int(0, 1_000_000).default(1000),
  MAX_NEW_ROOMS_PER_USER_HOUR: int(0, 1_000_000).default(100),
  CORS_ORIGINS: z.string().default(""),
  PING_INTERVAL_MS: int(1000, 600_000).default(25_000),
  PING_TIMEOUT_MS: int(1000, 600_000).default(20_000),
  PING_GRID_MS: int(0, 60_000).default(100),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  LEGACY_EVENTS: z.enum(["true", "false"]).default("true"),
  LEGACY_ESCAPE_HTML: z.enum(["true", "false"]).default("true"),
  STATIC_DIR: optionalText,

  MAX_UPLOAD_BYTES: int(1, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  UPLOAD_QUOTA_BYTES_PER_DAY: int(0, Number.MAX_SAFE_INTEGER).default(256 * 1024 * 1024),
  UPLOAD_ALLOWED_TYPES: z
    .string()
    .regex(/^\s*[\w.+-]+\/[\w.+-]+\s*(,\s*[\w.+-]+\/[\w.+-]+\s*)*$/, "must be comma-separated media types (type/subtype)")
    .default(DEFAULT_UPLOAD_TYPES.join(",")),
  MAX_ATTACHMENTS_PER_MESSAGE: int(1, 100).default(10),
  MAX_UPLOADS_IN_FLIGHT_PER_USER: int(0, 1000).default(3),
  ATTACHMENTS_STORE: z.enum(["postgres", "s3"]).default("postgres"),
  S3_BUCKET: optionalText,
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ENDPOINT: optionalText.pipe(z.string().url("must be a URL").optional()),
  S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).default("false"),
});

/** Every environment variable the server reads (deploy manifests are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export type AuthConfig =
  | { mode: "open" }
  | {
      mode: "jwt";
      secret?: string;
      publicKey?: string;
      jwksUrl?: string;
      issuer?: string;
      audience?: string;
      /** Tokens without `exp` are refused (JWT_REQUIRE_EXP). */
      requireExp: boolean;
    };

export interface Config {
  port: number;
  /**
   * Port of the separate /metrics listener (on HOST), so that a proxy in front of PORT never
   * exposes it; 0 = /metrics served on PORT itself (then the proxy must refuse it).
   */
  metricsPort: number;
  host: string;
  /** This process's name in the cluster: logs, metrics, presence, the client's footer. */
  nodeId: string;
  logLevel: string;
  /** PostgreSQL URL, or undefined for the embedded PGlite under `dataDir`. */
  databaseUrl?: string;
  databasePoolMax: number;
  /**
   * Name the hot statements (store/db.ts `prepared`) so that each connection plans them once;
   * false for a pooler that cannot carry named statements (PgBouncer before 1.21, or without
   * `max_prepared_statements`).
   */
  databasePreparedStatements: boolean;
  /**
   * A streaming replica for reads (history, catch-up, rooms:list, search, REST); each read
   * goes there only when it has replayed what the primary had when the read began.
   */
  databaseReplicaUrl?: string;
  dataDir: string;
  /** Apply pending migrations at startup; false where `migrate` runs first (a Job, a service). */
  migrateOnStart: boolean;
  /**
   * Messages older than this many days are dropped, a week's partition at a time once the
   * whole week is older (store/retention.ts); undefined keeps everything.
   */
  messageRetentionDays?: number;
  /** Redis URL, or undefined for a single node with in-memory presence and limits. */
  redisUrl?: string;
  /** Seeds of a Redis Cluster (instead of redisUrl): the same roles, over an ioredis Cluster client. */
  redisClusterNodes?: { host: string; port: number }[];
  redisAdapter: "classic" | "sharded";
  redisKeyPrefix: string;
  presenceTtlMs: number;
  auth: AuthConfig;
  /** How long a socket whose token expired stays open, refused, before it is closed. */
  sessionGraceMs: number;
  historyLimit: number;
  maxMessageChars: number;
  rateLimit: { sends: number; windowMs: number };
  /**
   * messages:search: searches running at once per node (each on a connection of its own,
   * apart from the send path's pool), how long one may wait for a slot and run, and each
   * user's searches per window across the cluster.
   */
  search: { concurrency: number; timeoutMs: number; limit: number; windowMs: number };
  maxHttpBufferSize: number;
  /** Bytes a connection may owe its client (written, not yet taken by the network) before it is closed; 0 = no limit. */
  maxSocketBacklogBytes: number;
  /** Group-commit transactions a node keeps in flight at once (MessageWriter concurrency). */
  storeBatchesInFlight: number;
  /**
   * Client events (any name) one connection may send per window; 0 = no limit. Over it the
   * event is refused (`rate_limited`); at twice the limit within one window, disconnected.
   */
  eventRateLimit: { events: number; windowMs: number };
  /** Open connections per client IP / per user, counted on each node; 0 = no limit. */
  maxConnectionsPerIp: number;
  maxConnectionsPerUser: number;
  /** Rooms one connection may be in at once; 0 = no limit. Over it `room:join` is `limit_exceeded`. */
  maxRoomsPerConnection: number;
  /** Rooms one user may create per hour, across the cluster; 0 = no limit. Over it `rate_limited`. */
  maxNewRoomsPerUserHour: number;
  /** Origins allowed by CORS; empty means same origin only. `*` allows any. */
  corsOrigins: string[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Pings are due on multiples of this (realtime/heartbeat.ts); 0 = each at its own time. */
  pingGridMs: number;
  shutdownTimeoutMs: number;
  trustProxy: boolean;
  /**
   * The Flask template's dialect (open mode only): `events` false removes it; `escapeHtml`
   * sends its bodies and names HTML-escaped, because the template's page uses innerHTML.
   */
  legacy: { events: boolean; escapeHtml: boolean };
  /** Built browser client; defaults to client/dist next to the sources. */
  staticDir: string;
  /** File attachments (docs/protocol.md, attachments; docs/configuration.md). */
  attachments: AttachmentsConfig;
  /** Settings that are valid but likely to hurt, each naming its variables; logged at startup. */
  warnings: string[];
}

export interface AttachmentsConfig {
  /** Largest upload; the stream is cut off past it and nothing is kept. */
  maxUploadBytes: number;
  /** Bytes one user may upload per UTC day, across the cluster; 0 = no limit. */
  quotaBytesPerDay: number;
  /** Media types (sniffed from the content) that may be uploaded. */
  allowedTypes: ReadonlySet<string>;
  maxPerMessage: number;
  /** Uploads one user may have in progress at once on each node; 0 = no limit. */
  maxInFlightPerUser: number;
  store: "postgres" | "s3";
  s3?: { bucket: string; region: string; endpoint?: string; forcePathStyle: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = z.output<typeof envSchema>;

/** Reads and validates the whole configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Each variable on its own, so that the checks across variables still run on those that
  // are valid: one message then names a bad PORT and the missing JWT key together.
  const values: Partial<Env> = {};
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(envSchema.shape)) {
    const r = (schema as z.ZodType).safeParse(env[name]);
    if (r.success) (values as Record<string, unknown>)[name] = r.data;
    else problems.push(...new Set(r.error.issues.map((i) => `${name}: ${i.message}`)));
  }
  problems.push(...crossFieldProblems(values));
  if (values.REDIS_URL && values.REDIS_CLUSTER_NODES) {
    problems.push("REDIS_URL / REDIS_CLUSTER_NODES: set one of them (a single Redis or a Redis Cluster), not both");
  }
  const clusterNodes = values.REDIS_CLUSTER_NODES?.split(",").map((seed) => {
    const [host, port] = seed.trim().split(":") as [string, string];
    return { host, port: Number(port) };
  });
  if (clusterNodes?.some((n) => n.port < 1 || n.port > 65535)) problems.push("REDIS_CLUSTER_NODES: every port must be 1-65535");
  if (problems.length > 0) throw new ConfigError(problems);
  const e = values as Env;

  const auth: AuthConfig =
    e.AUTH_MODE === "open"
      ? { mode: "open" }
      : {
          mode: "jwt",
          secret: e.JWT_SECRET,
          publicKey: e.JWT_PUBLIC_KEY?.replace(/\\n/g, "\n"),
          jwksUrl: e.JWKS_URL,
          issuer: e.JWT_ISSUER,
          audience: e.JWT_AUDIENCE,
          requireExp: e.JWT_REQUIRE_EXP === "true",
        };
  return {
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    host: e.HOST,
    nodeId: e.NODE_ID ?? `${os.hostname()}-${process.pid}`,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === "true",
    databaseReplicaUrl: e.DATABASE_REPLICA_URL,
    dataDir: path.resolve(e.DATA_DIR),
    migrateOnStart: e.MIGRATE_ON_START === "true",
    messageRetentionDays: e.MESSAGE_RETENTION_DAYS,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: clusterNodes,
    redisAdapter: e.REDIS_ADAPTER,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    auth,
    sessionGraceMs: e.SESSION_GRACE_MS,
    historyLimit: e.HISTORY_LIMIT,
    maxMessageChars: e.MAX_MESSAGE_CHARS,
    rateLimit: { sends: e.RATE_LIMIT_SENDS, windowMs: e.RATE_LIMIT_WINDOW_MS },
    search: {
      concurrency: e.SEARCH_CONCURRENCY,
      timeoutMs: e.SEARCH_TIMEOUT_MS,
      limit: e.SEARCH_RATE_LIMIT,
      windowMs: e.SEARCH_RATE_WINDOW_MS,
    },
    maxHttpBufferSize: e.MAX_HTTP_BUFFER_SIZE,
    maxSocketBacklogBytes: e.MAX_SOCKET_BACKLOG_BYTES,
    storeBatchesInFlight: e.STORE_BATCHES_IN_FLIGHT,
    eventRateLimit: { events: e.EVENT_RATE_LIMIT, windowMs: e.EVENT_RATE_WINDOW_MS },
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    maxConnectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
    maxRoomsPerConnection: e.MAX_ROOMS_PER_CONNECTION,
    maxNewRoomsPerUserHour: e.MAX_NEW_ROOMS_PER_USER_HOUR,
    corsOrigins: e.CORS_ORIGINS.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    pingIntervalMs: e.PING_INTERVAL_MS,
    pingTimeoutMs: e.PING_TIMEOUT_MS,
    pingGridMs: e.PING_GRID_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY === "true",
    legacy: { events: e.LEGACY_EVENTS === "true", escapeHtml: e.LEGACY_ESCAPE_HTML === "true" },
    staticDir: path.resolve(e.STATIC_DIR ?? new URL("../client/dist", import.meta.url).pathname),
    attachments: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      quotaBytesPerDay: e.UPLOAD_QUOTA_BYTES_PER_DAY,
      allowedTypes: new Set(e.UPLOAD_ALLOWED_TYPES.split(",").map((t) => t.trim().toLowerCase())),
      maxPerMessage: e.MAX_ATTACHMENTS_PER_MESSAGE,
      maxInFlightPerUser: e.MAX_UPLOADS_IN_FLIGHT_PER_USER,
      store: e.ATTACHMENTS_STORE,
      s3: e.S3_BUCKET
        ? { bucket: e.S3_BUCKET, region: e.S3_REGION, endpoint: e.S3_ENDPOINT, forcePathStyle: e.S3_FORCE_PATH_STYLE === "true" }
        : undefined,
    },
    warnings: configWarnings(e.MAX_SOCKET_BACKLOG_BYTES, e.MAX_MESSAGE_CHARS),
  };
}

/** Rules across variables; each runs only when the variables it reads are valid. */
function crossFieldProblems(e: Partial<Env>): string[] {
  const problems: string[] = [];
  if (e.AUTH_MODE === "jwt") {
    const keys = [e.JWT_SECRET, e.JWT_PUBLIC_KEY, e.JWKS_URL].filter(Boolean).length;
    const readable = "JWT_SECRET" in e && "JWT_PUBLIC_KEY" in e && "JWKS_URL" in e;
    if (keys !== 1 && (keys > 1 || readable)) {
      problems.push("JWT_SECRET / JWT_PUBLIC_KEY / JWKS_URL: AUTH_MODE=jwt needs exactly one of them");
    }
    if (e.JWT_SECRET && e.JWT_SECRET.length < 32) {
      problems.push("JWT_SECRET: must be at least 32 characters");
    }
    if (e.JWT_PUBLIC_KEY && !e.JWT_PUBLIC_KEY.includes("-----BEGIN PUBLIC KEY-----")) {
      problems.push("JWT_PUBLIC_KEY: must be a PEM public key (-----BEGIN PUBLIC KEY-----)");
    }
  }
  // An invalid DATABASE_URL is reported on its own; this rule is about a missing one.
  if (e.DATABASE_REPLICA_URL && "DATABASE_URL" in e && !e.DATABASE_URL) {
    problems.push("DATABASE_REPLICA_URL: needs DATABASE_URL (the embedded database has no replicas)");
  }
  const { PING_TIMEOUT_MS, PRESENCE_TTL_MS, PING_INTERVAL_MS, PING_GRID_MS, MAX_SOCKET_BACKLOG_BYTES } = e;
  if (PING_TIMEOUT_MS !== undefined && PRESENCE_TTL_MS !== undefined && PING_INTERVAL_MS !== undefined) {
    // Not fatal in principle, but presence would outlive dead sockets by far; say so early.
    if (PING_TIMEOUT_MS >= PRESENCE_TTL_MS + PING_INTERVAL_MS) {
      problems.push("PING_TIMEOUT_MS: must be below PRESENCE_TTL_MS + PING_INTERVAL_MS");
    }
  }
  if (PING_GRID_MS !== undefined && PING_INTERVAL_MS !== undefined && PING_GRID_MS >= PING_INTERVAL_MS) {
    problems.push("PING_GRID_MS: must be below PING_INTERVAL_MS");
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push("METRICS_PORT: must differ from PORT (0 serves /metrics on PORT)");
  }
  if (e.ATTACHMENTS_STORE === "s3" && "S3_BUCKET" in e && !e.S3_BUCKET) {
    problems.push("S3_BUCKET: ATTACHMENTS_STORE=s3 needs the bucket's name");
  }
  if (MAX_SOCKET_BACKLOG_BYTES !== undefined && MAX_SOCKET_BACKLOG_BYTES !== 0 && MAX_SOCKET_BACKLOG_BYTES < 65_536) {
    problems.push("MAX_SOCKET_BACKLOG_BYTES: must be 0 (no limit) or at least 65536");
  }
  return problems;
}

/**
 * A history page goes out whole (the contract fixes its size), and a connection owing more
 * than MAX_SOCKET_BACKLOG_BYTES is closed at its next write: below one page of the longest
 * messages, at one byte per character, a client that merely reads history is closed and
 * comes back to ask for the same page.
 */
function configWarnings(backlogCap: number, maxMessageChars: number): string[] {
  const page = MAX_HISTORY_LIMIT * maxMessageChars;
  if (backlogCap === 0 || backlogCap >= page) return [];
  return [
    `MAX_SOCKET_BACKLOG_BYTES (${backlogCap}) is below one history page of ${MAX_HISTORY_LIMIT} messages of MAX_MESSAGE_CHARS ` +
      `(${maxMessageChars}) characters, ${page} bytes or more: a client reading such a page is closed as a slow reader; ` +
      `raise MAX_SOCKET_BACKLOG_BYTES or lower MAX_MESSAGE_CHARS`,
  ];
}
