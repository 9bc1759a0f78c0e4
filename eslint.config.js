// Lint: the recommended rules of ESLint and typescript-eslint, without type information
// (fast enough to run on every CI build; tsc --noEmit does the type checking).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
  {
    files: ["**/*.mjs", "scripts/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    files: ["test/types/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
