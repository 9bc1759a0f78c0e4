#!/usr/bin/env node
// npm start: build the browser client, then run the server IN THIS PROCESS. A process
// manager holds npm's PID; npm forwards SIGTERM/SIGINT to its child, which package.json's
// `exec` makes this process, so the server's own drain handles the signal. A wrapper
// process (sh, tsx's CLI) would be one more place for the signal to stop.
// With STATIC_DIR set, the client is served from there and not built.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function buildClient() {
  const pkg = createRequire(import.meta.url).resolve("vite/package.json");
  const vite = path.join(path.dirname(pkg), "bin", "vite.js");
  const args = [vite, "build", "--config", "client/vite.config.ts", "--logLevel", "warn"];
  const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
  // Stopped while building: stop the build too, and exit as that signal would.
  const stop = (signal) => child.kill(signal);
  process.on("SIGTERM", stop).on("SIGINT", stop);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      process.off("SIGTERM", stop).off("SIGINT", stop);
      resolve(signal ? 128 : (code ?? 1));
    });
  });
}

if (!process.env.STATIC_DIR) {
  const code = await buildClient();
  if (code !== 0) {
    console.error("npm start: building the client failed (see above)");
    process.exit(code);
  }
}
const { register } = await import("tsx/esm/api");
register();
await import("../src/main.ts");
