/** The express app: security headers, request ids, health, the REST API, the client (and /metrics if METRICS_PORT=0). */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { Authenticator } from "../auth.js";
import type { Queryable } from "../store/db.js";
import type { Attachments } from "../chat/attachments.js";
import { apiRoutes } from "./api.js";
import { fileRoutes } from "./files.js";
import { jsonErrors, notFound } from "./errors.js";
import { healthRoutes, type HealthSource } from "./health.js";

export interface HttpDeps {
  db: Queryable;
  attachments: Attachments;
  auth: Authenticator;
  metrics: Metrics;
  log: Logger;
  health: HealthSource;
  historyLimit: number;
  staticDir: string;
  trustProxy: boolean;
  /** METRICS_PORT=0: /metrics on this app's (public) port; otherwise metrics.ts serves it. */
  metricsHere: boolean;
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          // blob: the client shows attachments through object URLs of files it fetched
          // with its auth (an <img src> cannot carry the Authorization header).
          imgSrc: ["'self'", "data:", "blob:"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          // Plain-HTTP deployments (a LAN demo on :8080) must not have their scripts and
          // WebSocket upgraded to https; TLS, where there is one, ends at the load balancer.
          upgradeInsecureRequests: null,
        },
      },
      // HSTS belongs to whoever terminates TLS (the load balancer or Ingress).
      strictTransportSecurity: false,
    }),
  );
  app.use(requestContext(deps.log, deps.metrics));
  app.use(healthRoutes(deps.health));
  if (deps.metricsHere) {
    app.get("/metrics", async function metrics(_req, res) {
      res.set("Content-Type", deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    });
  }
  app.use(apiRoutes(deps));
  app.use(fileRoutes(deps));
  app.use("/api", notFound);
  serveClient(app, deps.staticDir, deps.log);
  app.use(notFound);
  app.use(jsonErrors(deps.log));
  return app;
}

/** A request id (from the load balancer's X-Request-Id, or new), a child logger and metrics. */
function requestContext(log: Logger, metrics: Metrics) {
  return function withRequestId(req: Request, res: Response, next: NextFunction): void {
    const header = req.headers["x-request-id"];
    const id = typeof header === "string" && /^[\w.-]{1,64}$/.test(header) ? header : randomUUID();
    res.setHeader("X-Request-Id", id);
    const reqLog = log.child({ reqId: id });
    res.on("finish", function logRequest() {
      const route = req.route?.path ?? (res.statusCode === 404 ? "unmatched" : "static");
      metrics.httpRequests.inc({ route: String(route), status: String(res.statusCode) });
      reqLog.debug({ method: req.method, url: req.originalUrl, status: res.statusCode }, "request");
    });
    next();
  };
}

function serveClient(app: express.Express, dir: string, log: Logger): void {
  const index = path.join(dir, "index.html");
  if (fs.existsSync(index)) {
    app.use(express.static(dir, { index: "index.html", maxAge: "1h", setHeaders: noCacheForHtml }));
    return;
  }
  log.warn({ dir }, "browser client not built (npm run build:client); serving a placeholder page");
  app.get("/", function placeholder(_req, res) {
    res
      .type("html")
      .send(
        "<!doctype html><meta charset=utf-8><title>chat-cluster</title><h1>chat-cluster</h1>" +
          "<p>The server is running. Build the browser client with <code>npm run build:client</code>.</p>",
      );
  });
}

function noCacheForHtml(res: Response, file: string): void {
  if (file.endsWith(".html")) res.setHeader("Cache-Control", "no-cache");
}
