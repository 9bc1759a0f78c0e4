/**
 * Starts real chat nodes in this process on port 0 and tears them down. Configuration goes
 * through loadConfig, exactly as in production.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createNode, type ChatNode } from "../../src/node.js";
import { closeAll } from "./client.js";
import type { TestDatabase } from "./db.js";

export interface RunningNode {
  node: ChatNode;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "silent";

/** The shared Redis of the multi-node tests (TEST_REDIS_URL points them at another one). */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `chat-${label}-`));
}

export function uniquePrefix(label = "t"): string {
  return `test-${label}-${randomBytes(4).toString("hex")}`;
}

export interface StartOptions {
  /** Where the node's JSON log lines go (default stdout). */
  logTo?: (line: string) => void;
}

export async function startNode(env: Record<string, string | undefined> = {}, opts: StartOptions = {}): Promise<RunningNode> {
  const config = loadConfig({
    PORT: "0",
    // /metrics on the node's own port, as the tests read it; test/core/http.test.ts covers
    // the default, a port of its own.
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL,
    NODE_ID: `node-${randomBytes(3).toString("hex")}`,
    STATIC_DIR: path.join(os.tmpdir(), "chat-no-client"),
    ...env,
  });
  const dest = opts.logTo && { write: opts.logTo };
  const node = createNode(config, createLogger(config.logLevel, config.nodeId, dest));
  const port = await node.start();
  return { node, port, url: `http://127.0.0.1:${port}`, stop: () => node.shutdown() };
}

/**
 * The environment every node of one test cluster shares: one database, one Redis, and a key
 * prefix of its own so that runs on the shared Redis never see each other's keys. `extra`
 * adds the test's settings and may override these (REDIS_URL for a private redis-server).
 */
export function clusterEnv(databaseUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: databaseUrl, REDIS_URL, REDIS_KEY_PREFIX: prefix, ...extra };
}

/** Starts one in-process node per id on the same `env`, one after the other, into `nodes`. */
export async function startNodes(nodes: RunningNode[], env: Record<string, string>, ids: string[]): Promise<void> {
  // Pushed one by one so that the file's after() stops those that started if a later one fails.
  for (const id of ids) nodes.push(await startNode({ ...env, NODE_ID: id }));
}

/** After hook of the in-process cluster files: clients first, then the nodes, then their database. */
export async function stopNodes(nodes: RunningNode[], db: TestDatabase): Promise<void> {
  closeAll();
  for (const x of nodes) await x.stop();
  await db.drop();
}
