/**
 * Builds the browser client into dist/public: one minified ES module and one style sheet, both
 * named by their content hash, and the index.html that loads them with Subresource Integrity.
 * Runs after `tsc -b` (it bundles the compiled JavaScript); `npm run build` calls it.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const out = root("dist/public");

const integrity = (bytes: Uint8Array): string => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

/** The page: no inline script or style (the CSP forbids both), each file pinned by its hash. */
function indexHtml(script: { path: string; bytes: Uint8Array }, style: { path: string; bytes: Uint8Array }): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
    <title>secure-chat</title>
    <link rel="stylesheet" href="/${basename(style.path)}" integrity="${integrity(style.bytes)}" />
    <script type="module" src="/${basename(script.path)}" integrity="${integrity(script.bytes)}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>secure-chat needs JavaScript: its end-to-end encryption runs in the page.</noscript>
  </body>
</html>
`;
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: { app: root("dist/src/main.js"), style: root("src/ui/styles.css") },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    entryNames: "[name]-[hash]",
    outdir: out,
    write: false,
    legalComments: "none",
    logLevel: "warning",
  });
  const script = result.outputFiles.find((file) => file.path.endsWith(".js"));
  const style = result.outputFiles.find((file) => file.path.endsWith(".css"));
  if (script === undefined || style === undefined) throw new Error("esbuild wrote no script or no style sheet");
  for (const file of [script, style]) writeFileSync(file.path, file.contents);
  const html = indexHtml({ path: script.path, bytes: script.contents }, { path: style.path, bytes: style.contents });
  writeFileSync(`${out}/index.html`, html);
  copyFileSync(root("src/ui/favicon.svg"), `${out}/favicon.svg`);
}

await main();
