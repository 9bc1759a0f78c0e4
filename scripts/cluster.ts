/**
 * npm run cluster -- [--nodes N] [--port P] [--base-port B] [--stats-port S] [--host H] [--quiet]
 *
 * Starts N chat nodes (node --import tsx src/main.ts) and HAProxy in front of them,
 * without Docker. DATABASE_URL and REDIS_URL must point at a shared PostgreSQL and
 * Redis. Ctrl-C stops everything this command started. The machinery lives in
 * scripts/cluster/index.ts (startCluster), which tests and the benchmark import.
 */
import { parseArgs } from "node:util";
import { ClusterConfigError, startCluster, type Cluster } from "./cluster/index.js";
import { isEntryPoint } from "./entry-point.js";

const USAGE = `Usage: npm run cluster -- [options]

  --nodes N        server processes (default 3)
  --port P         HAProxy's port (default $PORT, else 3000; 0 = any free port)
  --base-port B    port of node-1, node-K gets B+K-1 (default P+1; 0 = free ports)
  --stats-port S   HAProxy stats page (default: a free port)
  --host H         listen address (default 127.0.0.1)
  --quiet          do not print the nodes' logs

Environment: DATABASE_URL and REDIS_URL (required), PORT (as --port), and any
server variable (AUTH_MODE, LOG_LEVEL, ...), passed to every node (each gets its own
PORT and NODE_ID).`;

function int(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isInteger(n) || n < min || n > 65535) {
    console.error(`${name} must be an integer >= ${min}, got ${value}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        nodes: { type: "string" },
        port: { type: "string" },
        "base-port": { type: "string" },
        "stats-port": { type: "string" },
        host: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quiet = values.quiet ?? false;
  const width = 9;
  let stopping = false;
  let cluster: Cluster | undefined;

  try {
    cluster = await startCluster({
      nodes: int("--nodes", values.nodes, 1),
      // PORT is where a user expects the front door, as for a single node.
      port: int("--port", values.port, 0) ?? int("PORT", process.env.PORT || undefined, 0) ?? 3000,
      basePort: int("--base-port", values["base-port"], 0),
      statsPort: int("--stats-port", values["stats-port"], 0),
      host: values.host,
      log: (source, line) => {
        // HAProxy's lines (server UP/DOWN) are always worth seeing.
        if (!quiet || source === "haproxy") console.log(`${`[${source}]`.padEnd(width)} ${line}`);
      },
      onExit: (e) => {
        if (e.expected || stopping) return;
        const how = e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
        console.error(
          `${`[${e.source}]`.padEnd(width)} !! ${e.source} (pid ${e.pid}) ${how}` +
            (e.source === "haproxy"
              ? "; the load balancer is gone, stopping the cluster"
              : "; HAProxy takes it out of rotation, the other nodes keep serving"),
        );
        if (e.source === "haproxy") void shutdown(1);
      },
    });
  } catch (err) {
    if (err instanceof ClusterConfigError) {
      console.error(`npm run cluster: ${err.message}`);
      process.exit(2);
    }
    console.error(`npm run cluster: could not start: ${(err as Error).message}`);
    process.exit(1);
  }

  async function shutdown(code: number) {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping the cluster (nodes drain first) ...");
    await cluster?.stop();
    console.log("Stopped.");
    process.exit(code);
  }
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  console.log(`\nchat-cluster: ${cluster.nodes.length} node(s) behind HAProxy\n`);
  console.log(`  ${"clients".padEnd(8)} ${cluster.url}   (HAProxy, sticky sessions)`);
  for (const n of cluster.nodes) {
    console.log(`  ${n.id.padEnd(8)} ${n.url}   pid ${n.pid}   /readyz /metrics`);
  }
  if (cluster.statsUrl) console.log(`  ${"stats".padEnd(8)} ${cluster.statsUrl}   (HAProxy stats; /metrics too)`);
  console.log("\nCtrl-C stops everything.\n");
}

if (isEntryPoint(import.meta.url)) void main();
