import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "data/**", "bench-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        { selector: "TSEnumDeclaration", message: "Use an `as const` map and a derived union." },
      ],
    },
  },
  {
    // The protocol and client packages run in browsers too: no Node built-ins, except the
    // client's Node store adapter.
    files: ["packages/protocol/src/**/*.ts", "packages/client/src/**/*.ts"],
    ignores: ["packages/client/src/store/sqlite-store.ts", "packages/client/src/store/field-cipher.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["node:*", "better-sqlite3", "ws"], message: "Keep this package portable." }] },
      ],
    },
  },
  {
    // Dependencies point one way: protocol <- client <- cli/web, protocol <- server.
    files: ["packages/server/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@secure-chat/client", "@secure-chat/client/*"],
              message: "The server never imports the client.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
