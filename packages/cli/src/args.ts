/** A small, strict flag parser: unknown flags and missing values are errors, never ignored. */
export interface FlagSpec {
  [flag: string]: "string" | "boolean";
}

export type ParsedArgs =
  { kind: "ok"; flags: Record<string, string | boolean>; positionals: string[] } | { kind: "error"; message: string };

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const [flag = "", inline] = arg.slice(2).split(/=(.*)/s, 2);
    const kind = Object.hasOwn(spec, flag) ? spec[flag] : undefined;
    if (kind === undefined) return { kind: "error", message: `unknown flag --${flag}` };
    if (kind === "boolean") {
      if (inline !== undefined) return { kind: "error", message: `--${flag} takes no value` };
      flags[flag] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("--"))) {
      return { kind: "error", message: `--${flag} needs a value` };
    }
    flags[flag] = value;
  }
  return { kind: "ok", flags, positionals };
}

/**
 * Reads an optional numeric flag within [min, max]; `undefined` when absent. `label` names it in
 * the error: "--port", or a config file's key.
 */
export function numberFlag(
  raw: string | boolean | undefined,
  label: string,
  range: { min: number; max: number },
): { kind: "ok"; value: number | undefined } | { kind: "error"; message: string } {
  if (raw === undefined) return { kind: "ok", value: undefined };
  const value = Number(raw);
  if (typeof raw !== "string" || !Number.isFinite(value) || value < range.min || value > range.max) {
    return {
      kind: "error",
      message: `${label} must be a number from ${range.min} to ${range.max}, not ${String(raw)}`,
    };
  }
  return { kind: "ok", value };
}
