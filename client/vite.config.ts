import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const clientDir = fileURLToPath(new URL(".", import.meta.url));
const repoDir = fileURLToPath(new URL("..", import.meta.url));
const backend = process.env.CHAT_BACKEND ?? "http://localhost:3000";

/**
 * src/shared/protocol.ts builds zod schemas at module level, for the server. The client
 * uses only its types, patterns and helpers, yet the schema-building calls would pull
 * all of zod (~35 kB gzipped) into the bundle. For that one importer, `zod` resolves
 * to a stub whose builders chain to nothing and whose parse methods throw, so using a
 * schema in the client fails loudly instead of passing silently.
 */
function zodStubForProtocol(): Plugin {
  const stubId = "\0client-zod-stub";
  return {
    name: "client-zod-stub",
    enforce: "pre",
    resolveId(source, importer) {
      if (source === "zod" && importer && /[\\/]src[\\/]shared[\\/]protocol\.ts$/.test(importer)) return stubId;
      return null;
    },
    load(id) {
      if (id !== stubId) return null;
      return `
const fail = () => { throw new Error("zod schemas are not bundled in the browser client"); };
const chain = new Proxy(function () {}, {
  get: (_t, key) => (typeof key === "string" && /^(safe)?parse|^(safe)?decode|^(safe)?encode/.test(key) ? fail : key === "shape" ? {} : chain),
  apply: () => chain,
});
export const z = chain;
export default chain;
`;
    },
  };
}

export default defineConfig({
  plugins: [zodStubForProtocol()],
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
    // The client imports ../src/shared/protocol.ts (the one wire contract).
    fs: { allow: [repoDir] },
    proxy: {
      "/socket.io": { target: backend, ws: true, changeOrigin: true },
      "/api": { target: backend, changeOrigin: true },
    },
  },
});
