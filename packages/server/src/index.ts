export { openStorage, startServer, type RunningServer } from "./server.js";
export { defaultServerConfig, type ServerConfig } from "./config.js";
export { StorageFullError, StorageUnavailableError, type Storage } from "./storage/storage.js";
export { SQLITE_DURABILITY } from "./storage/sqlite-storage.js";
export { PG_DURABILITY } from "./storage/pg-storage.js";
export { binaryFrame, joinFrames } from "./ws-frame.js";
export type { Bus } from "./bus/bus.js";
