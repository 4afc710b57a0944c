/**
 * A TCP proxy in front of a real server, for store tests that cut a store off and bring it back
 * without touching the server: `stop()` closes the listener and every connection through it,
 * `resume()` listens again on the same port, and `mute()` drops what the server sends back
 * (requests still arrive: replies are lost, as when a connection dies mid-command).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listeningPort = 0;
  private muted = false;

  private constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy, listening on a free port of 127.0.0.1, to `host:port`. */
  static async to(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(host, port);
    await proxy.resume();
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    return this.listeningPort;
  }

  resume(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.on('data', (data: Buffer) => {
        if (!this.muted) client.write(data);
      });
      upstream.on('end', () => client.end());
    });
    this.muted = false;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listeningPort, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address === 'object' && address !== null) this.listeningPort = address.port;
        resolve();
      });
    });
  }

  mute(): void {
    this.muted = true;
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  }

  close(): Promise<void> {
    return this.stop();
  }
}
