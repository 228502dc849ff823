import type { CipherSuiteKey } from "@secure-chat/protocol";

export interface ServerConfig {
  host: string;
  port: number;
  /** Folder for the SQLite database (created if missing), and the self-signed certificate. */
  dataDir: string;
  /**
   * A PostgreSQL connection URL (postgres://user@host/db) for several nodes on one database;
   * undefined: SQLite in dataDir.
   */
  storageUrl: string | undefined;
  /**
   * A NATS URL (nats://host:4222) linking the nodes that share `storageUrl`; undefined: this
   * process is the only node (in-process bus).
   */
  busUrl: string | undefined;
  /** This node's name among the nodes on the bus (unique per node). */
  nodeId: string;
  cipherSuite: CipherSuiteKey;
  /** Largest frame accepted; sized for a Welcome with its ratchet tree in a large group. */
  maxFrameBytes: number;
  /** A connection that has not logged in by then is closed. */
  loginTimeoutMs: number;
  /** Ping interval; a peer that misses one whole interval is cut off. */
  heartbeatMs: number;
  /** KeyPackages one user may keep in stock on the server. */
  maxKeyPackages: number;
  /** Frames per second one connection may send (token bucket; bursts of twice that). */
  rateLimitPerConnection: number;
  /** Frames per second one user may send over all their connections. */
  rateLimitPerUser: number;
  /** Open connections allowed from one remote address. */
  maxConnectionsPerAddress: number;
  /** New names one remote address may register per hour (token bucket; a burst of as many). */
  registrationsPerHourPerAddress: number;
  /**
   * Bytes one user may have stored per day (messages, commits with their GroupInfo and Welcomes,
   * new groups' GroupInfos; token bucket, a burst of a whole day's). Everything stored is fanned
   * out and kept, so one user must not fill the disk.
   */
  quotaBytesPerDay: number;
  /** Groups (rooms and private conversations) one user may create per day (token bucket). */
  groupsPerDay: number;
  /** Deliveries older than this many days are deleted (0: kept for ever); see startRetention. */
  retentionDays: number;
  /** Largest encrypted file (blob) the server keeps, in bytes. */
  maxBlobBytes: number;
  /** Bytes of files one user may have stored at once (their blobs, until deleted). */
  blobQuotaBytes: number;
  /**
   * Bytes queued for one socket before it counts as a slow consumer and is cut off (it
   * catches up by cursor when it comes back). Catch-up itself waits for the socket to drain.
   */
  maxSendBufferBytes: number;
  /**
   * TLS: a certificate and key file, or undefined for plain ws:// — which only a loopback
   * host may use; any other host gets a self-signed certificate kept in the data directory.
   */
  tls: { certFile: string; keyFile: string } | undefined;
  /** A file holding the bearer token /metrics asks for; undefined: /metrics is open. */
  metricsTokenFile: string | undefined;
  /**
   * How long shutdown keeps serving after /healthz turned "not ready", so a balancer stops
   * sending new clients before the connections close.
   */
  drainMs: number;
  /** Folder of the built browser client to serve at `/` on the same port, or undefined for none. */
  webRoot: string | undefined;
}

export const defaultServerConfig: ServerConfig = {
  host: "127.0.0.1",
  port: 7447,
  dataDir: "./data",
  storageUrl: undefined,
  busUrl: undefined,
  nodeId: "node",
  cipherSuite: "xwing",
  maxFrameBytes: 8 * 1024 * 1024,
  loginTimeoutMs: 10_000,
  heartbeatMs: 30_000,
  maxKeyPackages: 100,
  rateLimitPerConnection: 200,
  rateLimitPerUser: 400,
  maxConnectionsPerAddress: 64,
  registrationsPerHourPerAddress: 20,
  // A busy human sends a few MB a day; a bot relaying logs perhaps 100 MB. Files will have their own store.
  quotaBytesPerDay: 256 * 1024 * 1024,
  groupsPerDay: 100,
  // Online members fetch at once; this bounds what waits for members away for a season.
  retentionDays: 90,
  maxBlobBytes: 64 * 1024 * 1024,
  blobQuotaBytes: 512 * 1024 * 1024,
  maxSendBufferBytes: 8 * 1024 * 1024,
  tls: undefined,
  metricsTokenFile: undefined,
  drainMs: 0,
  webRoot: undefined,
};
