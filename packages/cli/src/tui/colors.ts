/**
 * Colours of the UI. A name always gets the same colour (a hash of the name picks one from a
 * palette that reads on dark and light backgrounds); red is kept for warnings and errors.
 */
const NAME_PALETTE = [
  "cyan",
  "green",
  "yellow",
  "blue",
  "magenta",
  "cyanBright",
  "greenBright",
  "yellowBright",
  "blueBright",
  "magentaBright",
] as const;

export type NameColor = (typeof NAME_PALETTE)[number];

/** FNV-1a over the UTF-16 code units: stable across runs and machines. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function nameColor(name: string): NameColor {
  return NAME_PALETTE[hash(name) % NAME_PALETTE.length] ?? "cyan";
}

export const uiColors = {
  warning: "red",
  error: "red",
  join: "green",
  part: "yellow",
  notice: "gray",
  separator: "magenta",
  boundary: "blue",
  highlight: "magentaBright",
  bar: "blue",
} as const;
