export { parseCommand, type Command } from "./commands.js";
export { parseArgs } from "./args.js";
export { formatHuman } from "./format-human.js";
