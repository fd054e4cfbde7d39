import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { freeLoopbackPort } from '../net/freeLoopbackPort.js';
import type { JanusNatOptions } from './JanusConfig.js';
import { JanusEventReceiver } from './JanusEventReceiver.js';
import { JanusRoomEngine } from './JanusRoomEngine.js';
import { JanusSupervisor } from './JanusSupervisor.js';

export interface JanusNodeOptions {
  config: Config;
  logger: Logger;
}

/**
 * The media engine of one Palaver node: Janus (embedded and supervised, or external) and the
 * room engine that keeps each live Palaver room's Janus rooms. After Janus restarts, the room
 * engine re-creates the rooms that were live.
 */
export class JanusNode {
  readonly supervisor: JanusSupervisor;
  readonly rooms: JanusRoomEngine;
  /** What an embedded Janus's event handler reports (sessions, handles, plugins, WebRTC, core). */
  readonly events: JanusEventReceiver | undefined;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  private constructor(
    supervisor: JanusSupervisor,
    rooms: JanusRoomEngine,
    events: JanusEventReceiver | undefined,
    logger: Logger,
  ) {
    this.supervisor = supervisor;
    this.rooms = rooms;
    this.events = events;
    this.#logger = logger;
    supervisor.on('restarted', () => {
      void this.#rebind();
    });
  }

  static async start(options: JanusNodeOptions): Promise<JanusNode> {
    const { config } = options;
    const logger = options.logger.child({ component: 'janus' });
    let adminKey: string;
    let supervisor: JanusSupervisor;
    let events: JanusEventReceiver | undefined;
    if (config.janusUrl !== undefined) {
      adminKey = config.janusAdminKey ?? '';
      supervisor = new JanusSupervisor({ logger, external: { url: config.janusUrl } });
    } else {
      // A fresh key every start: the embedded Janus starts with this process and dies with it.
      adminKey = randomBytes(24).toString('base64url');
      const eventSecret = randomBytes(24).toString('base64url');
      events = await JanusEventReceiver.start(eventSecret, logger);
      events.on('event', (event) => logger.debug({ janusEvent: event }, 'janus event'));
      supervisor = new JanusSupervisor({
        logger,
        embedded: {
          dir: join(config.dataDir, 'janus'),
          config: {
            wsPort: await freeLoopbackPort(),
            adminKey,
            adminSecret: randomBytes(24).toString('base64url'),
            rtpPorts: config.rtpPorts,
            nat: natOptions(config),
            eventHandler: { url: events.url, secret: eventSecret },
          },
        },
      });
    }
    try {
      const ready = await supervisor.start();
      logger.info({ url: ready.url, pid: ready.pid, ms: ready.startMs }, 'janus is answering');
      const rooms = new JanusRoomEngine({
        client: await supervisor.createClient(),
        adminKey,
        logger,
      });
      return new JanusNode(supervisor, rooms, events, logger);
    } catch (error) {
      await supervisor.close();
      await events?.close();
      throw error;
    }
  }

  /** Stops the room engine, then Janus (an embedded one exits). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.rooms.close();
      await this.supervisor.close();
      await this.events?.close();
    })();
    return this.#closing;
  }

  async #rebind(): Promise<void> {
    if (this.#closing !== undefined) {
      return;
    }
    try {
      const result = await this.rooms.rebind(await this.supervisor.createClient());
      this.#logger.info(
        { recreated: result.recreated.length, failed: result.failed.length },
        'janus rooms re-created after restart',
      );
    } catch (error) {
      this.#logger.error({ err: error }, 'could not re-create janus rooms after restart');
    }
  }
}

function natOptions(config: Config): JanusNatOptions | undefined {
  const nat: JanusNatOptions = {
    ...(config.publicIp !== undefined && { publicIp: config.publicIp }),
    ...(config.stunServer !== undefined && { stunServer: config.stunServer }),
    ...(config.turnServer !== undefined && {
      turn: {
        ...hostAndPort(config.turnServer),
        user: config.turnUser ?? '',
        password: config.turnPassword ?? '',
      },
    }),
  };
  return Object.keys(nat).length === 0 ? undefined : nat;
}

function hostAndPort(value: string): { server: string; port?: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  return match?.[1] !== undefined
    ? { server: match[1], port: Number(match[2]) }
    : { server: value };
}
