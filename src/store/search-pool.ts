/**
 * messages:search's own connections, apart from the pools that sends and history use: a
 * pool of SEARCH_CONCURRENCY on the primary with the search's statement timeout, and one on
 * the replica when there is one (each search routed as every read is, replica.ts).
 */
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { createPgDb, type Queryable } from "./db.js";
import { createReplicaReads, type ReadTarget } from "./replica.js";

export interface SearchDb extends Queryable {
  close(): Promise<void>;
}

export function openSearchDb(
  url: string,
  config: Pick<Config, "search" | "databaseReplicaUrl">,
  parentLog: Logger,
  onRead: (target: ReadTarget) => void,
): SearchDb {
  const log = parentLog.child({ module: "search" });
  const onError = (err: unknown) => log.warn({ err }, "search database client failed");
  const { concurrency, timeoutMs } = config.search;
  const pool = (u: string) => createPgDb(u, concurrency, onError, { statementTimeoutMs: timeoutMs, name: "chat-cluster-search" });
  const primary = pool(url);
  if (!config.databaseReplicaUrl) return primary;
  const reads = createReplicaReads(primary, pool(config.databaseReplicaUrl), { onRead, onReplicaError: onError });
  return {
    query: reads.query,
    async close() {
      await reads.close();
      await primary.close();
    },
  };
}
