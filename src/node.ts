/**
 * One chat node: the composition root that wires config, storage, Redis, Socket.IO and HTTP,
 * and the ordered, idempotent shutdown. main.ts runs one; tests run several in one process.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server, Socket } from "socket.io";
import { createAuthenticator, openModeWarning } from "./auth.js";
import type { Config } from "./config.js";
import { connectCluster, type ClusterLink } from "./cluster/link.js";
import { LocalPresence } from "./cluster/local-presence.js";
import { MESSAGE_EVENT, v1RoomEvents } from "./chat/broadcast.js";
import { Attachments } from "./chat/attachments.js";
import { announceGone, resyncAfterOutage } from "./chat/cluster-events.js";
import type { ChatContext, ChatSocketState } from "./chat/context.js";
import { LEGACY_MESSAGE_EVENT, legacyDialect, legacyEnabled, renewLegacyMarks } from "./chat/legacy/index.js";
import { chatSockets, registerChat } from "./chat/register.js";
import { createSearcher } from "./chat/search.js";
import { SeenUsers, UserSockets, userChannel } from "./chat/users.js";
import { createHttpApp } from "./http/app.js";
import type { DependencyState, Lifecycle } from "./http/health.js";
import { createMetricsServer, listen } from "./http/metrics.js";
import type { Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { wireConnections } from "./realtime/connection.js";
import { tapBroadcasts } from "./realtime/deliveries.js";
import { InFlight } from "./realtime/handle.js";
import { ConnectionSlots } from "./realtime/connection-limits.js";
import { createIo } from "./realtime/io.js";
import { SocketState, state as socketState } from "./realtime/socket-state.js";
import { SessionClock } from "./realtime/sessions.js";
import { createSearchLimiter, createUserLimiters } from "./realtime/user-limiters.js";
import { connectDb } from "./store/connect.js";
import { createPgDb, type Db, type Queryable } from "./store/db.js";
import { createReplicaReads, type ReplicaReads } from "./store/replica.js";
import { openSearchDb, type SearchDb } from "./store/search-pool.js";
import { startPartitionUpkeep, type UpkeepTimer } from "./store/retention.js";
import { MessageWriter } from "./store/writer.js";
import { waitFor, withTimeout } from "./timing.js";

export interface ChatNode {
  readonly config: Config;
  readonly io: Server;
  readonly http: HttpServer;
  readonly metrics: Metrics;
  /** The port /metrics is served on once started (PORT itself when METRICS_PORT=0). */
  metricsPort(): number | undefined;
  lifecycle(): Lifecycle;
  /** Listens, then migrates and connects; resolves with the port once ready. */
  start(): Promise<number>;
  /** Drains and closes everything; safe to call more than once. */
  shutdown(): Promise<void>;
}

/** One object per socket: the transport's fields and chat's (S3: plain fields, no side tables). */
class NodeSocketState extends SocketState implements ChatSocketState {
  readonly rooms = new Map<string, string>();
}

export function createNode(config: Config, log: Logger): ChatNode {
  const metrics = createMetrics(config.nodeId);
  const auth = createAuthenticator(config.auth);
  const inflight = new InFlight();
  const sessions = new SessionClock(config.sessionGraceMs, log.child({ module: "realtime" }));
  let state: Lifecycle = "starting";
  let db: Db | undefined;
  let reads: ReplicaReads | Db | undefined;
  let searchDb: SearchDb | undefined; // messages:search's own pools (PostgreSQL only)
  let writer: MessageWriter | undefined;
  let cluster: ClusterLink | undefined;
  let stopLegacyRenewal: (() => void) | undefined;
  let upkeep: UpkeepTimer | undefined;
  let dbCheck: { at: number; state: Promise<DependencyState> } | undefined;
  let done: Promise<void> | undefined;

  const health = {
    lifecycle: () => state,
    checkRedis: (): DependencyState => (cluster ? (cluster.redisUp() ? "ok" : "down") : "disabled"),
    checkDb(): Promise<DependencyState> {
      // Not connected yet: say so, and cache nothing that would outlive the connection.
      if (!db) return Promise.resolve("down");
      // Probes from several sources within a second share one query.
      if (!dbCheck || Date.now() - dbCheck.at > 1000) dbCheck = { at: Date.now(), state: pingDb() };
      return dbCheck.state;
    },
  };
  async function pingDb(): Promise<DependencyState> {
    if (!db) return "down";
    try {
      await withTimeout(db.query("SELECT 1"), 2000);
      metrics.dbUp.set(1);
      return "ok";
    } catch {
      metrics.dbUp.set(0);
      return "down";
    }
  }

  // The HTTP app reads the database, which exists only after start(): it gets queries that
  // look the database up when they run, and fail as "not connected" until then.
  const lazyReads: Queryable = {
    query: (sql, params) => requireReads().query(sql, params),
  };
  function requireReads(): Queryable {
    if (!reads) throw Object.assign(new Error("database not connected yet"), { code: "ECONNREFUSED" });
    return reads;
  }

  const attachments = new Attachments({
    config: config.attachments,
    db: () => db,
    retentionDays: config.messageRetentionDays,
    log: log.child({ module: "attachments" }),
  });
  const app = createHttpApp({
    db: lazyReads,
    attachments,
    auth,
    metrics,
    log: log.child({ module: "http" }),
    health,
    historyLimit: config.historyLimit,
    staticDir: config.staticDir,
    trustProxy: config.trustProxy,
    metricsHere: config.metricsPort === 0,
  });
  const http = createServer(app);
  const metricsHttp = config.metricsPort === 0 ? undefined : createMetricsServer(metrics);
  const seen = new SeenUsers(() => db, log.child({ module: "chat" }));
  const users = new UserSockets(seen);
  const slots = new ConnectionSlots<Socket>(config.maxConnectionsPerIp, config.maxConnectionsPerUser, users);
  const io = createIo(http, {
    slots,
    config,
    log: log.child({ module: "realtime" }),
    auth,
    sessions,
    accepting: () => state === "ready",
    onBacklogClosed: () => metrics.backlogClosed.inc(),
    newState: (user, socketId, parent) => new NodeSocketState(user, socketId, parent),
    onRefused: (reason) => metrics.connectionsRefused.inc({ reason }),
    admitted: (user) => seen.recorded(user),
  });
  const withRedis = Boolean(config.redisUrl ?? config.redisClusterNodes);
  metrics.redisUp.set(withRedis ? 0 : -1);

  async function start(): Promise<number> {
    const port = await listen(http, config.port, config.host, "PORT");
    // Up before the database: Prometheus sees a node that is stuck starting (chat_ready 0).
    const metricsPort = metricsHttp
      ? await listen(metricsHttp, config.metricsPort, config.host, "METRICS_PORT").catch((err: unknown) => {
          http.close();
          throw err;
        })
      : port;
    log.info({ port, metricsPort, host: config.host }, "listening; starting");
    for (const warning of config.warnings) log.warn(warning);
    const exposed = openModeWarning(config.auth.mode, (http.address() as AddressInfo).address);
    if (exposed) log.warn({ host: config.host }, exposed);

    db = await connectDb(config, log, () => done !== undefined);
    metrics.dbUp.set(1);
    metrics.watchDbPool(() => db?.poolStats?.());
    reads = config.databaseReplicaUrl ? connectReplica(config.databaseReplicaUrl, db) : db;
    upkeep = startPartitionUpkeep(db, config.messageRetentionDays, log.child({ module: "retention" }));
    attachments.start();
    if (withRedis) {
      cluster = await connectCluster({
        config,
        io,
        log: log.child({ module: "cluster" }),
        metrics,
        onReaped: (gone) => announceGone(io, gone),
        onRedisBack: (rooms) => resyncAfterOutage(io, rooms),
      });
    }
    countDeliveries(io, metrics);
    const limiterRedis = cluster && { client: cluster.commands, keyPrefix: config.redisKeyPrefix };
    if (config.databaseUrl) searchDb = openSearchDb(config.databaseUrl, config, log, (target) => metrics.dbReads.inc({ target }));
    const legacy = legacyEnabled(config) ? legacyDialect(io, config.legacy.escapeHtml) : undefined;
    writer = new MessageWriter(db, {
      concurrency: config.storeBatchesInFlight,
      afterLock: legacy?.afterLock,
      onBatch(seconds, size, ok) {
        metrics.storeWriteDuration.observe(seconds);
        metrics.storeBatchSize.observe(size);
        if (ok) metrics.messagesStored.inc(size);
        metrics.dbUp.set(ok ? 1 : 0);
      },
    });
    const lookupLimiter = createSearchLimiter(config.search, limiterRedis);
    const ctx: ChatContext = {
      config,
      io,
      db,
      reads,
      writer,
      attachments,
      presence: cluster?.presence ?? new LocalPresence(),
      users: userChannel(io, users, cluster !== undefined),
      takeUser: (socket, user) => slots.takeUser(socketState(socket), socket, user),
      ...createUserLimiters(config, limiterRedis),
      search: createSearcher({ ...config.search, db: searchDb ?? db, limiter: lookupLimiter, onStep: (step) => metrics.searchSteps.inc({ step }) }),
      lookupLimiter,
      metrics,
      log: log.child({ module: "chat" }),
      broadcast: legacy ? legacy.events(v1RoomEvents(io)) : v1RoomEvents(io),
      cluster,
    };
    wireConnections(io, {
      config,
      log: ctx.log,
      metrics,
      inflight,
      sessions: { auth, clock: sessions },
      register: (on) => registerChat(ctx, on),
      ...chatSockets(ctx),
    });
    sessions.start(io);
    if (legacy) stopLegacyRenewal = renewLegacyMarks(ctx);
    if (done) throw new Error("shut down while starting");
    state = "ready";
    metrics.ready.set(1);
    log.info({ port, db: db.kind, redis: config.redisClusterNodes ? "cluster" : withRedis, auth: config.auth.mode }, "ready");
    return port;
  }

  /** The replica needs no migrations and may be down at startup: its reads fall back to the primary. */
  function connectReplica(url: string, primary: Db): ReplicaReads {
    const rlog = log.child({ module: "replica" });
    const replica = createPgDb(url, config.databasePoolMax, (err) => rlog.warn({ err }, "idle replica client failed"), {
      prepared: config.databasePreparedStatements,
    });
    return createReplicaReads(primary, replica, {
      onRead: (target) => metrics.dbReads.inc({ target }),
      onReplicaError: (err) => rlog.warn({ err }, "replica read failed; reading from the primary"),
    });
  }

  async function runShutdown(): Promise<void> {
    const budget = config.shutdownTimeoutMs;
    state = "draining";
    metrics.ready.set(0);
    log.info({ inFlight: inflight.count }, "draining");
    // Let in-flight handlers (writes before their acks) finish, then move the clients away.
    await withTimeout(inflight.idle(), budget / 3).catch(() => log.warn("in-flight events did not finish in time"));
    // Only this node's sockets (io.disconnectSockets without .local would reach every
    // node's through the adapter), and at the transport rather than with a Socket.IO
    // DISCONNECT packet: a client treats a closed transport as a network failure and
    // reconnects by itself, through the load balancer to another node, whereas after
    // "io server disconnect" a stock socket.io client stays offline.
    for (const socket of io.of("/").sockets.values()) socket.conn.close();
    // Their presence:leave announcements and any write still queued.
    await withTimeout(Promise.all([inflight.idle(), writer?.drain()]), budget / 3).catch(() =>
      log.warn("writes or presence cleanup did not finish in time"),
    );
    // io.close() discards unsent packets: let the transports flush the last acks first.
    await waitFor(() => io.engine.clientsCount === 0, Math.min(2000, budget / 6));
    await new Promise<void>((resolve) => {
      io.close(() => resolve());
      http.closeAllConnections();
    });
    stopLegacyRenewal?.();
    sessions.stop();
    upkeep?.stop();
    await attachments.stop();
    await cluster?.close().catch((err: unknown) => log.warn({ err }, "closing the cluster link failed"));
    if (reads !== db) await reads?.close().catch((err: unknown) => log.warn({ err }, "closing the replica failed"));
    await searchDb?.close().catch((err: unknown) => log.warn({ err }, "closing the search pool failed"));
    await db?.close().catch((err: unknown) => log.warn({ err }, "closing the database failed"));
    // Last: Prometheus could watch the drain.
    if (metricsHttp?.listening) {
      await new Promise((resolve) => {
        metricsHttp.close(resolve);
        metricsHttp.closeAllConnections();
      });
    }
    log.info("stopped");
  }

  return {
    config,
    io,
    http,
    metrics,
    metricsPort: () => ((metricsHttp ?? http).address() as AddressInfo | null)?.port,
    lifecycle: () => state,
    start,
    shutdown: () => (done ??= runShutdown()),
  };
}

/** Messages written to this node's sockets, counted once per broadcast from the room's size. */
function countDeliveries(io: Server, metrics: Metrics): void {
  const v1 = metrics.deliveries.labels("v1");
  const legacy = metrics.deliveries.labels("legacy");
  tapBroadcasts(io, (event, _room, recipients) => {
    if (recipients === 0) return;
    if (event === MESSAGE_EVENT) v1.inc(recipients);
    else if (event === LEGACY_MESSAGE_EVENT) legacy.inc(recipients);
  });
}
