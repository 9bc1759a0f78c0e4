/** /healthz (the process serves requests) and /readyz (this node should get new connections). */
import type { Router } from "express";
import express from "express";

export type Lifecycle = "starting" | "ready" | "draining";
export type DependencyState = "ok" | "down" | "disabled";

export interface HealthSource {
  lifecycle(): Lifecycle;
  checkDb(): Promise<DependencyState>;
  checkRedis(): DependencyState;
}

export function healthRoutes(src: HealthSource): Router {
  const r = express.Router();
  r.get("/healthz", function healthz(_req, res) {
    res.json({ status: "ok" });
  });
  r.get("/readyz", async function readyz(_req, res) {
    const status = src.lifecycle();
    const checks = { db: await src.checkDb(), redis: src.checkRedis() };
    // A database or Redis outage is reported but keeps the node in rotation: every node
    // shares them, so taking this one out would only drop its clients' local delivery.
    res.status(status === "ready" ? 200 : 503).json({ status, checks });
  });
  return r;
}
