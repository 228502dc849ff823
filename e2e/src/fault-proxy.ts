/**
 * A TCP proxy between clients and the server that breaks links on command: `drop` resets
 * every open link; `blackhole` keeps them open but silently discards all bytes both ways,
 * like a dead NAT or a pulled cable. New connections pass, unless `muteNewLinks` is set: then
 * a new link passes the server's first chunk (the WebSocket upgrade answer) and nothing after
 * it, so the socket opens and the login hears nothing.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

interface Link {
  client: Socket;
  upstream: Socket;
  blackholed: boolean;
  muted: boolean;
}

export class FaultProxy {
  private readonly links = new Set<Link>();
  /** New links open but then go silent (see the class comment); links already open are not affected. */
  muteNewLinks = false;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<FaultProxy> {
    const holder: { proxy?: FaultProxy } = {};
    const server = createServer((client) => holder.proxy?.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    holder.proxy = new FaultProxy(server, typeof address === "object" && address !== null ? address.port : 0);
    return holder.proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, "127.0.0.1");
    const link: Link = { client, upstream, blackholed: false, muted: this.muteNewLinks };
    this.links.add(link);
    this.accepted++;
    const end = (): void => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk) => link.blackholed || upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (!link.blackholed) client.write(chunk);
      if (link.muted) link.blackholed = true;
    });
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  }

  get openLinks(): number {
    return this.links.size;
  }

  drop(): number {
    const count = this.links.size;
    for (const link of [...this.links]) {
      link.client.resetAndDestroy();
      link.upstream.destroy();
    }
    return count;
  }

  blackhole(): number {
    let count = 0;
    for (const link of this.links) {
      if (!link.blackholed) count++;
      link.blackholed = true;
    }
    return count;
  }

  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
