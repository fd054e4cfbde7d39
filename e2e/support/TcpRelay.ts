import { connect, createServer, type Server, type Socket } from 'node:net';

/** One direction of a connection through the relay. */
interface Leg {
  from: Socket;
  to: Socket | undefined;
  /** What `from` sent while the link was down (or before `to` existed), in order. */
  held: Buffer[];
  /** `from` ended while the link was down: the FIN is delivered once it is up again. */
  ended: boolean;
}

/** One client connection and its upstream twin. */
interface Pair {
  up: Leg;
  down: Leg | undefined;
}

/**
 * A TCP relay on 127.0.0.1 in front of a port, which a test can cut the way a network drop
 * does. While the link is down nothing gets through in either direction, not even a FIN; as on
 * a real link, TCP keeps what was sent and delivers it when the link is back (new connections
 * hang like unanswered SYNs and then go through). Or the link comes back from a router that lost
 * its state: every connection that was open is reset (RST, no FIN).
 */
export class TcpRelay {
  readonly port: number;
  readonly #server: Server;
  readonly #targetPort: number;
  readonly #pairs = new Set<Pair>();
  #down = false;

  private constructor(server: Server, targetPort: number) {
    this.#server = server;
    this.#targetPort = targetPort;
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
  }

  static async start(targetPort: number): Promise<TcpRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new TcpRelay(server, targetPort);
    server.on('connection', (client) => relay.#accept(client));
    return relay;
  }

  /** How many client connections are open through the relay. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** The link goes down: from now on nothing gets through, in either direction. */
  cut(): void {
    this.#down = true;
  }

  /**
   * The link is back. What was held is delivered; with `resetOpenConnections`, every connection
   * that was open before the cut is reset instead, on both sides (a router that lost its state
   * answers with RST).
   */
  restore({ resetOpenConnections = false }: { resetOpenConnections?: boolean } = {}): void {
    this.#down = false;
    for (const pair of this.#pairs) {
      if (pair.down === undefined) {
        this.#connectUpstream(pair);
      } else if (resetOpenConnections) {
        this.#reset(pair);
      } else {
        this.#flush(pair.up);
        this.#flush(pair.down);
      }
    }
  }

  /** Closes the relay and resets what is still open through it. Idempotent. */
  async close(): Promise<void> {
    this.#down = false;
    for (const pair of this.#pairs) {
      this.#reset(pair);
    }
    if (this.#server.listening) {
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    }
  }

  #accept(client: Socket): void {
    const pair: Pair = {
      up: { from: client, to: undefined, held: [], ended: false },
      down: undefined,
    };
    this.#pairs.add(pair);
    this.#pipe(pair, pair.up);
    if (!this.#down) {
      this.#connectUpstream(pair);
    }
  }

  #connectUpstream(pair: Pair): void {
    const upstream = connect(this.#targetPort, '127.0.0.1');
    pair.up.to = upstream;
    pair.down = { from: upstream, to: pair.up.from, held: [], ended: false };
    this.#pipe(pair, pair.down);
    this.#flush(pair.up);
  }

  /** Forwards one direction while the link is up, and holds it while it is down. */
  #pipe(pair: Pair, leg: Leg): void {
    leg.from.on('data', (data) => {
      if (this.#down || leg.to === undefined) {
        leg.held.push(data);
      } else {
        leg.to.write(data);
      }
    });
    leg.from.on('end', () => {
      leg.ended = true;
      if (!this.#down && leg.to !== undefined) {
        leg.to.end();
      }
    });
    leg.from.on('error', () => undefined);
    leg.from.on('close', () => {
      if (!this.#down && leg.to !== undefined) {
        this.#pairs.delete(pair);
        // After a FIN the other side has been told; anything else ends it at once.
        if (!leg.ended) {
          leg.to.destroy();
        }
      }
    });
  }

  #flush(leg: Leg): void {
    if (leg.to === undefined) {
      return;
    }
    for (const data of leg.held.splice(0)) {
      leg.to.write(data);
    }
    if (leg.ended) {
      leg.to.end();
    } else if (leg.from.destroyed) {
      leg.to.destroy();
    }
  }

  #reset(pair: Pair): void {
    this.#pairs.delete(pair);
    for (const socket of [pair.up.from, pair.up.to]) {
      if (socket !== undefined && !socket.destroyed) {
        socket.resetAndDestroy();
      }
    }
  }
}
