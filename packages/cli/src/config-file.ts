import { readFileSync } from "node:fs";
import type { FlagSpec } from "./args.js";
import { CliExit, exitCodes } from "./exit.js";

function refused(code: string, message: string): CliExit {
  return new CliExit(exitCodes.usage, code, message);
}

/** How an error names a config-file key, so it reads like the flag's own errors. */
export function configKeyLabel(path: string): (key: string) => string {
  return (key) => `"${key}" in ${path}`;
}

/**
 * Reads a JSON config file whose keys are the long flags of `spec` (without `--`) into the flag
 * values parseArgs would have given: a string or number for a flag with a value, true or false
 * for a switch. Only the form is checked here; what a value means is checked by the same code
 * as the flag's. `--config` itself is not a key (no file includes another).
 */
export function readConfigFile(path: string, spec: FlagSpec): Record<string, string | boolean> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `it is not JSON (${error.message})` : (error as Error).message;
    throw refused("CONFIG_UNREADABLE", `cannot read the config file ${path}: ${reason}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw refused("CONFIG_UNREADABLE", `the config file ${path} must hold one JSON object, {"port": 7447, …}`);
  }
  const label = configKeyLabel(path);
  const keys = Object.keys(spec).filter((key) => key !== "config");
  const flags: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const kind = key !== "config" && Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (kind === undefined) {
      throw refused(
        "CONFIG_UNKNOWN_KEY",
        `unknown key "${key}" in ${path}; the keys are the long flags: ${keys.join(", ")}`,
      );
    }
    if (kind === "boolean") {
      if (typeof value !== "boolean") throw refused("CONFIG_BAD_VALUE", `${label(key)} must be true or false`);
      if (value) flags[key] = true;
    } else if ((typeof value === "string" && value !== "") || (typeof value === "number" && Number.isFinite(value))) {
      flags[key] = String(value);
    } else {
      throw refused("CONFIG_BAD_VALUE", `${label(key)} must be a string or a number, not ${JSON.stringify(value)}`);
    }
  }
  return flags;
}
