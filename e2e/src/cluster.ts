/**
 * Several real `secure-chat server` nodes on one throwaway PostgreSQL and one throwaway
 * nats-server, optionally behind haproxy (the configuration in docs/haproxy.cfg, with this
 * cluster's ports). Every process ends with the test.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  NatsInstance,
  PostgresInstance,
  acceptsConnections,
  freePort,
  natsMissing,
  postgresMissing,
  serviceDir,
  startGuarded,
  waitUntil,
  type GuardedProcess,
} from "@secure-chat/server/testing";
import { ServerProcess, tempDir } from "./harness.js";

const HAPROXY = "/usr/sbin/haproxy";
/** The documented configuration, with its placeholders for the ports. */
const HAPROXY_CFG = fileURLToPath(new URL("../../docs/haproxy.cfg", import.meta.url));

/** Why a cluster cannot be started here, or undefined when it can. */
export function clusterMissing(withBalancer: boolean): string | undefined {
  const balancer =
    withBalancer && !existsSync(HAPROXY) ? "haproxy is not installed (apt-get install -y haproxy)" : undefined;
  return postgresMissing() ?? natsMissing() ?? balancer;
}

/** `text` with each pattern replaced; a pattern the documented file no longer has is an error. */
function replaceAll(text: string, replacements: [RegExp, string][]): string {
  for (const [pattern, by] of replacements) {
    if (!pattern.test(text)) throw new Error(`docs/haproxy.cfg no longer has ${String(pattern)}`);
    text = text.replace(pattern, by);
  }
  return text;
}

export class Cluster {
  readonly nodes = new Map<string, ServerProcess>();
  private balancer: GuardedProcess | undefined;
  private balancerPort = 0;

  private constructor(
    readonly postgres: PostgresInstance,
    readonly nats: NatsInstance,
    readonly storageUrl: string,
  ) {}

  static async start(nodeIds: readonly string[]): Promise<Cluster> {
    const postgres = await PostgresInstance.start();
    const nats = await NatsInstance.start();
    const cluster = new Cluster(postgres, nats, await postgres.createDatabase("chat"));
    for (const id of nodeIds) await cluster.startNode(id);
    return cluster;
  }

  /** Starts (or starts again, on its port) the node `id`. */
  async startNode(id: string, port = 0): Promise<ServerProcess> {
    const node = await ServerProcess.start({
      dataDir: tempDir(`node-${id}`),
      port,
      args: ["--storage", this.storageUrl, "--bus", this.nats.url, "--node-id", id],
    });
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): ServerProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Starts haproxy in front of the nodes; answers the one URL clients use. */
  async startBalancer(): Promise<string> {
    this.balancerPort = await freePort();
    const servers = [...this.nodes]
      .map(([id, node]) => `    server ${id} 127.0.0.1:${new URL(node.url).port}`)
      .join("\n");
    // The nodes serve plain ws:// on loopback: the same health check, over HTTP, checked faster.
    const config = replaceAll(readFileSync(HAPROXY_CFG, "utf8"), [
      [/^ {4}bind :7447$/m, `    bind 127.0.0.1:${this.balancerPort}`],
      [/ check-ssl verify required ca-file \S+ inter 2s fall 2 rise 2/, " inter 200ms fall 1 rise 2"],
      [/^ {4}server .*\n(?: {4}server .*\n)*/m, `${servers}\n`],
    ]);
    const dir = serviceDir("haproxy");
    const file = join(dir, "haproxy.cfg");
    writeFileSync(file, config);
    // haproxy reads it as the service user when we are root.
    const balancer = startGuarded(HAPROXY, ["-db", "-f", file], "KILL");
    this.balancer = balancer;
    await waitUntil(
      "haproxy to listen",
      () => acceptsConnections(this.balancerPort),
      () => balancer.output(),
    );
    return `ws://127.0.0.1:${this.balancerPort}`;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.kill()));
    await this.balancer?.stop();
    await this.nats.stop();
    await this.postgres.stop();
  }
}
