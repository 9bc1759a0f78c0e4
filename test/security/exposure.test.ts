/**
 * What a node shows to whoever asks: JSON errors without stacks or paths on every route,
 * a WebSocket origin check that believes forwarded headers only from a trusted proxy, a
 * warning when open mode listens beyond loopback, and no `?token=` in any log line.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import express from "express";
import { io } from "socket.io-client";
import { jsonErrors, notFound } from "../../src/http/errors.js";
import { createLogger } from "../../src/logger.js";
import { closeAll } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("exposure");
});
after(async () => {
  closeAll();
  await db.drop();
});

describe("error responses", () => {
  let srv: RunningNode;
  before(async () => {
    srv = await startNode({ DATABASE_URL: db.url });
  });
  after(() => srv.stop());

  test("a malformed URI, an unknown route, a body nobody reads: JSON with a contract code, no stack", async () => {
    const cases: [string, RequestInit, number, string][] = [
      ["/api/rooms/%ZZ/messages?username=ann", {}, 400, "invalid_payload"],
      ["/api/rooms/%E0%A4%A/messages", {}, 400, "invalid_payload"],
      ["/api/nothing/here", {}, 404, "not_found"],
      ["/api/rooms/lobby/messages", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }, 404, "not_found"],
      ["/no-such-page", {}, 404, "not_found"],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await fetch(`${srv.url}${path}`, init);
      const text = await res.text();
      assert.equal(res.status, status, path);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, path);
      assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, code, path);
      assert.doesNotMatch(text, /node_modules|\/src\/|at [\w.]+ \(|<html|<pre/i, `${path}: ${text}`);
    }
  });
});

test("a route that throws: 500 internal with a reference the log has, no stack", async () => {
  // The node's routes catch their own errors; this route throws, as a future one might.
  const lines: string[] = [];
  const app = express();
  app.get("/boom", () => {
    throw new Error("secret detail at /srv/app/src/thing.ts:12");
  });
  app.use(notFound);
  app.use(jsonErrors(createLogger("error", "test", { write: (l: string) => lines.push(l) })));
  const server = createServer(app).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
    const text = await res.text();
    assert.equal(res.status, 500);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "internal");
    assert.doesNotMatch(text, /secret detail|\/srv\/|at [\w.]+ \(/);
    const ref = /ref ([0-9a-f-]{36})/.exec(body.error.message)?.[1];
    assert.ok(ref && lines.some((l) => l.includes(ref) && l.includes("secret detail")), "logged with the same reference");
  } finally {
    server.close();
  }
});

/** Whether a WebSocket upgrade with these headers connects. */
function upgrade(url: string, headers: Record<string, string>): Promise<"connected" | "refused"> {
  const ws = io(url, { transports: ["websocket"], extraHeaders: headers, reconnection: false, forceNew: true, auth: { username: "orin" } });
  return new Promise((resolve) => {
    ws.once("connect", () => (ws.close(), resolve("connected")));
    ws.once("connect_error", () => (ws.close(), resolve("refused")));
  });
}

describe("the WebSocket origin check", () => {
  test("X-Forwarded-Host and -Proto count only with TRUST_PROXY=true; the scheme is compared", async () => {
    const direct = await startNode({ DATABASE_URL: db.url });
    const proxied = await startNode({ DATABASE_URL: db.url, TRUST_PROXY: "true" });
    try {
      const own = new URL(direct.url).host;
      const forged = { origin: "http://evil.example", "x-forwarded-host": "evil.example" };
      assert.equal(await upgrade(direct.url, forged), "refused", "a forged X-Forwarded-Host");
      assert.equal(await upgrade(direct.url, { origin: `http://${own}` }), "connected", "same origin");
      assert.equal(await upgrade(direct.url, { origin: `https://${own}` }), "refused", "an https page on a plain-http server");
      assert.equal(await upgrade(direct.url, { origin: `https://${own}`, "x-forwarded-proto": "https" }), "refused", "an untrusted X-Forwarded-Proto");
      // Behind a trusted proxy its headers describe the page's origin.
      const viaProxy = { origin: "https://chat.example", "x-forwarded-host": "chat.example", "x-forwarded-proto": "https" };
      assert.equal(await upgrade(proxied.url, viaProxy), "connected");
      assert.equal(await upgrade(proxied.url, { ...viaProxy, "x-forwarded-proto": "http" }), "refused", "https page, http proxy scheme");
      assert.equal(await upgrade(proxied.url, { ...viaProxy, origin: "https://evil.example" }), "refused");
    } finally {
      await direct.stop();
      await proxied.stop();
    }
  });
});

describe("logs", () => {
  test("open mode beyond loopback is a startup warning; on 127.0.0.1 it is not", async () => {
    for (const [host, warned] of [["0.0.0.0", true], ["127.0.0.1", false]] as const) {
      const lines: string[] = [];
      const node = await startNode({ DATABASE_URL: db.url, HOST: host, LOG_LEVEL: "warn" }, { logTo: (l) => lines.push(l) });
      await node.stop();
      const warning = lines.some((l) => /"level":"warn".*AUTH_MODE=open on a non-loopback address: anyone/.test(l));
      assert.equal(warning, warned, `${host}: ${lines.join("")}`);
    }
  });

  test("a ?token= in a URL is redacted from every log line, at every level", async () => {
    const lines: string[] = [];
    const node = await startNode({ DATABASE_URL: db.url, LOG_LEVEL: "trace" }, { logTo: (l) => lines.push(l) });
    try {
      const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl";
      await fetch(`${node.url}/?token=${secret}`);
      await fetch(`${node.url}/api/rooms/lobby/messages?username=ann&token=${secret}`);
      await fetch(`${node.url}/api/rooms/%ZZ/messages?access_token=${secret}`);
      const log = lines.join("");
      assert.match(log, /token=\[redacted\]/, "the request lines are there, redacted");
      assert.ok(!log.includes(secret) && !log.includes("c2lnbmF0dXJl"), log);
    } finally {
      await node.stop();
    }
  });
});
