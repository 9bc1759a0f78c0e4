// Lint: the recommended rules of ESLint and typescript-eslint, without type information
// (fast enough to run on every CI build; tsc --noEmit does the type checking).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The server's layers import one way (docs/architecture.md): http and realtime use chat,
 * chat uses store, cluster is wired in by node.ts, shared is shared with the client. Each
 * block forbids one folder's imports against that direction; only node.ts and main.ts
 * import every layer.
 */
const layer = (folder, forbidden, why) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          // The same folders seen from a subfolder (src/chat/legacy/ imports ../../store/).
          { group: [...forbidden, ...forbidden.filter((f) => f !== "../*").map((f) => `../${f}`), "**/node.js", "**/main.js"], message: `src/${folder}/ ${why} (docs/architecture.md)` },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "client/dist/**", "test-results/**", ".data/**", "loadtest/reports/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  layer("realtime", ["../chat/*", "../cluster/*", "../http/*", "../store/*"], "is the transport and knows nothing of chat: take it as a parameter"),
  layer("chat", ["../realtime/*", "../http/*", "../cluster/*"], "is reached through realtime and http and is handed the cluster by node.ts"),
  layer("http", ["../realtime/*", "../cluster/*"], "shares auth and errors through src/auth.ts and src/errors.ts, not realtime/"),
  layer("cluster", ["../chat/*", "../realtime/*", "../http/*"], "knows Redis, not chat: offer a callback that node.ts wires"),
  layer("store", ["../chat/*", "../realtime/*", "../http/*", "../cluster/*"], "is the bottom layer"),
  layer("shared", ["../*"], "is shared with the client and imports nothing from the server"),
  {
    // The browser client shares the wire contract and nothing else of the server.
    files: ["client/src/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/src/*/**", "**/src/*.js", "!**/src/shared/**"],
              message: "client/ imports only src/shared/ of the server (docs/architecture.md)",
            },
          ],
        },
      ],
    },
  },
  {
    // The neutral modules beside node.ts (config, logger, metrics, auth, errors) serve every layer.
    files: ["src/*.ts"],
    ignores: ["src/node.ts", "src/main.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["./chat/*", "./realtime/*", "./http/*", "./cluster/*", "./node.js", "./main.js"],
              message: "src/*.ts beside node.ts serve every layer and import none above store (docs/architecture.md)",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.mjs", "scripts/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // scripts/cluster.ts is `npm run cluster`'s command line; the library is scripts/cluster/index.ts.
    files: ["test/**/*.ts", "loadtest/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/scripts/cluster.js"], message: "import scripts/cluster/index.js, not the CLI module" }] },
      ],
    },
  },
  {
    files: ["test/types/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
