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

export interface RunningNode {
  node: ChatNode;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "silent";

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
