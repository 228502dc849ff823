import js from "@eslint/js";
import tseslint from "typescript-eslint";

const portable = { group: ["node:*", "better-sqlite3", "ws"], message: "Keep this package portable." };
const mlsInternals = {
  group: ["ts-mls/*"],
  message: "ts-mls internals are used only in packages/client/src/engine and packages/server/src/mls/**.",
};
const serverNeverImportsClient = {
  group: ["@secure-chat/client", "@secure-chat/client/*", "@secure-chat/web", "@secure-chat/web/*"],
  message: "The server never imports the client or the web client.",
};
const engineIsPure = "The engine does no I/O: callers pass deliveries in and carry its changes out.";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "data/**", "bench-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    // Type-aware rules: a promise nobody awaits loses its error; a switch that misses a case
    // of a union silently does nothing.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after"] },
          ],
        },
      ],
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
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
    // The protocol and client packages run in browsers too: no Node built-ins (the Node store
    // adapter lives in the CLI package); ts-mls internals only behind the engine.
    files: ["packages/protocol/src/**/*.ts", "packages/client/src/**/*.ts"],
    ignores: ["packages/client/src/engine/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [portable, mlsInternals] }],
    },
  },
  {
    // The MLS engine does no I/O: no link, no store (its data types excepted), no timers,
    // sockets or clock of its own (the clock is injected).
    files: ["packages/client/src/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            portable,
            { group: ["**/link/*", "**/sync/*", "**/outbox/*", "**/rooms/*", "**/directory/*"], message: engineIsPure },
            { group: ["**/store/*"], allowTypeImports: true, message: engineIsPure },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        ...["setTimeout", "setInterval", "clearTimeout", "clearInterval", "WebSocket", "fetch"].map((name) => ({
          name,
          message: engineIsPure,
        })),
      ],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: engineIsPure }],
    },
  },
  {
    // The browser client: the page's code is portable too, and message text never becomes HTML.
    files: ["packages/web/src/**/*.ts", "packages/web/src/**/*.tsx"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [portable, mlsInternals] }],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        { selector: "TSEnumDeclaration", message: "Use an `as const` map and a derived union." },
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: "Text is never inserted as HTML." },
        {
          selector: "MemberExpression[property.name=/^(innerHTML|outerHTML|insertAdjacentHTML)$/]",
          message: "Text is never inserted as HTML.",
        },
      ],
    },
  },
  {
    files: ["packages/cli/src/**/*.ts", "packages/cli/src/**/*.tsx"],
    rules: { "no-restricted-imports": ["error", { patterns: [mlsInternals] }] },
  },
  {
    // Dependencies point one way: protocol <- client <- cli/web, protocol <- server. The server's MLS
    // readers and checkers (src/mls/) may use ts-mls's public-part decoders and encoders.
    files: ["packages/server/src/**/*.ts"],
    ignores: ["packages/server/src/mls/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [mlsInternals, serverNeverImportsClient] }] },
  },
  {
    files: ["packages/server/src/mls/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [serverNeverImportsClient] }] },
  },
  {
    files: ["**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
