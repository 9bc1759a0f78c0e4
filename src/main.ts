/**
 * The process: configuration, logging, one chat node, and signals.
 * SIGTERM/SIGINT drain the node (readiness 503, sockets moved away, writes finished) and
 * exit 0; if that takes longer than SHUTDOWN_TIMEOUT_MS the process exits 1 anyway.
 * `main.js migrate` applies the migrations and exits instead (src/migrate.ts).
 */
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createLogger } from "./logger.js";
import { runMigrate } from "./migrate.js";
import { createNode } from "./node.js";

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chat-cluster: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const command = process.argv[2];
if (command !== undefined && command !== "migrate") {
  process.stderr.write(`chat-cluster: unknown command "${command}" (commands: migrate; none to serve)\n`);
  process.exit(2);
}
const config = readConfig();
const log = createLogger(config.logLevel, config.nodeId);
if (command === "migrate") {
  // The exit code is set, not forced: the last log lines are flushed as the process ends.
  process.exitCode = await runMigrate(config, log);
} else {
  serve();
}

function serve(): void {
  const node = createNode(config, log);

  let stopping = false;
  function stop(signal: string): void {
    // A signal can come twice: systemd signals every process of the unit (npm and the
    // server), and npm forwards its own. A repeat must not cut the drain short.
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown timed out; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    node.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  }
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // A library's stray rejection must not take every connection down with it.
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));

  node.start().then(
    (port) => log.info({ url: `http://localhost:${port}` }, "chat-cluster is serving"),
    (err: unknown) => {
      log.fatal({ err }, `could not start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
