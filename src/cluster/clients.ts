/**
 * The three Redis connections of a node (commands, publish, subscribe), to one Redis
 * (`REDIS_URL`) or to a Redis Cluster (`REDIS_CLUSTER_NODES`). Everything above uses them
 * the same way: every key a script or command touches shares one hash slot, so the same
 * code runs on both.
 */
import { Cluster, Redis } from "ioredis";
import type { Config } from "../config.js";

/** A connection to one Redis or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisClients {
  commands: RedisClient;
  pub: RedisClient;
  sub: RedisClient;
  /** A Redis Cluster: a primary can fail over while the clients stay "ready". */
  cluster: boolean;
}

// Reconnect forever with a capped backoff: the node stays up through an outage.
const retry = (times: number) => Math.min(100 * 2 ** times, 2000);

export function createRedisClients(config: Config): RedisClients {
  const connectionName = `chat-cluster:${config.nodeId}`;
  // No offline queue on the clients whose commands sit on a send's path: while Redis is
  // down they fail at once (local delivery goes on) instead of piling up.
  // Auto-pipelining sends every command issued in one tick in a single write: a busy node
  // otherwise pays one syscall per rate-limit check and per publish.
  const hot = { enableOfflineQueue: false, lazyConnect: true, enableAutoPipelining: true };
  const seeds = config.redisClusterNodes;
  if (!seeds) {
    const url = config.redisUrl!;
    const base = { retryStrategy: retry, maxRetriesPerRequest: 1, connectionName };
    return {
      commands: new Redis(url, { ...base, ...hot }),
      pub: new Redis(url, { ...base, ...hot }),
      sub: new Redis(url, { ...base, lazyConnect: true }),
      cluster: false,
    };
  }
  const base = {
    clusterRetryStrategy: retry,
    redisOptions: { maxRetriesPerRequest: 1, connectionName },
    // A failed primary's slots move to its replica: retry a command there (16 redirections
    // 100 ms apart) rather than fail it at the first closed connection.
    retryDelayOnFailover: 100,
  };
  // A command bound for a dead primary waits for its replica's promotion (seconds: the
  // cluster's node timeout) unless it times out: on the send path (rate limit, publish) it
  // fails after 2 s instead, so the send goes on (the limit in memory, the broadcast local)
  // and the node counts the shard as down until every slot is served again.
  const hotCluster = { ...base, ...hot, redisOptions: { ...base.redisOptions, commandTimeout: 2000 } };
  return {
    commands: new Cluster(seeds, hotCluster),
    pub: new Cluster(seeds, hotCluster),
    // Sharded pub/sub: one subscriber connection per primary, each following its slots.
    sub: new Cluster(seeds, { ...base, lazyConnect: true, shardedSubscribers: config.redisAdapter === "sharded" }),
    cluster: true,
  };
}
