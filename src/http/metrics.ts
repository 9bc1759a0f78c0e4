/**
 * Prometheus' /metrics on a listener of its own (METRICS_PORT), which no proxy in front of
 * the public port reaches; with METRICS_PORT=0 the public app serves it instead (app.ts).
 * `listen` starts both listeners, naming the variable whose port is taken.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "../metrics.js";

export function createMetricsServer(metrics: Metrics): Server {
  return createServer(function metricsOnly(req, res) {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found: this port serves GET /metrics only\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text),
      () => res.writeHead(500, { "Content-Type": "text/plain" }).end("metrics collection failed\n"),
    );
  });
}

/** Listens; a port already taken fails start() with a message naming its variable. */
export async function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new Error(`${variable}: ${host}:${port} is already in use`, { cause: err }) : err);
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
