import type { CipherSuiteKey } from "@secure-chat/protocol";

export interface ServerConfig {
  host: string;
  port: number;
  /** Folder for the SQLite database (created if missing). */
  dataDir: string;
  cipherSuite: CipherSuiteKey;
  /** Largest frame accepted; sized for a Welcome with its ratchet tree in a large group. */
  maxFrameBytes: number;
  /** A connection that has not logged in by then is closed. */
  loginTimeoutMs: number;
  /** Ping interval; a peer that misses one whole interval is cut off. */
  heartbeatMs: number;
  /** KeyPackages one user may keep in stock on the server. */
  maxKeyPackages: number;
}

export const defaultServerConfig: ServerConfig = {
  host: "127.0.0.1",
  port: 7447,
  dataDir: "./data",
  cipherSuite: "xwing",
  maxFrameBytes: 8 * 1024 * 1024,
  loginTimeoutMs: 10_000,
  heartbeatMs: 30_000,
  maxKeyPackages: 100,
};
