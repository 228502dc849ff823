export { parseCommand, type Command } from "@secure-chat/client";
export { parseArgs } from "./args.js";
export { formatHuman } from "./format-human.js";
