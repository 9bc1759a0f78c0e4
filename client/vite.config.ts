import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const clientDir = fileURLToPath(new URL(".", import.meta.url));
const repoDir = fileURLToPath(new URL("..", import.meta.url));
const backend = process.env.CHAT_BACKEND ?? "http://localhost:3000";

export default defineConfig({
  root: clientDir,
  // Relative asset URLs: the page works at `/` and behind a path prefix alike.
  base: "./",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The server's CSP allows only same-origin scripts and styles: never inline
    // assets into data: URLs or <script>/<style> tags.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    // The client imports ../src/shared/wire.ts (the wire contract without zod).
    fs: { allow: [repoDir] },
    // The server accepts browser connections only from its own origin (or CORS_ORIGINS):
    // present the proxied requests as same-origin, as the built page would be.
    proxy: {
      "/socket.io": { target: backend, ws: true, changeOrigin: true, headers: { origin: backend } },
      "/api": { target: backend, changeOrigin: true, headers: { origin: backend } },
    },
  },
});
