import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApp } from './api/createApp.js';
import { HttpMetrics } from './api/HttpMetrics.js';
import type { CreatedApiKey } from './auth/ApiKeyService.js';
import { ApiKeyService } from './auth/ApiKeyService.js';
import type { Config } from './config.js';
import { listenerUrl } from './config.js';
import { InvalidStateError } from './errors.js';
import { JanusNode } from './janus/JanusNode.js';
import { RoomService } from './rooms/RoomService.js';
import { Store } from './store/Store.js';
import { ClientTokenIssuer } from './tokens/ClientTokenIssuer.js';
import { SigningKeySet } from './tokens/SigningKeySet.js';
import { TokenVerifier } from './tokens/TokenVerifier.js';

export interface PalaverServerOptions {
  config: Config;
  logger: Logger;
  /**
   * Whether to start the media engine (Janus). Default: true.
   * @internal Tests of the REST API alone turn it off.
   */
  media?: boolean;
}

/**
 * One Palaver node: the store, the domain services, the media engine and the HTTP listener,
 * built in order and closed in reverse.
 */
export class PalaverServer {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly apiKeys: ApiKeyService;
  readonly rooms: RoomService;
  readonly tokens: TokenVerifier;
  /** The media engine; undefined when started without media. */
  readonly media: JanusNode | undefined;
  /** The key created on this start because none existed; shown once. */
  readonly firstApiKey: CreatedApiKey | undefined;
  readonly #app: FastifyInstance;
  #url: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    options: PalaverServerOptions,
    parts: {
      store: Store;
      apiKeys: ApiKeyService;
      rooms: RoomService;
      tokens: TokenVerifier;
      app: FastifyInstance;
      media: JanusNode | undefined;
      firstApiKey: CreatedApiKey | undefined;
    },
  ) {
    this.config = options.config;
    this.logger = options.logger;
    this.store = parts.store;
    this.apiKeys = parts.apiKeys;
    this.rooms = parts.rooms;
    this.tokens = parts.tokens;
    this.#app = parts.app;
    this.media = parts.media;
    this.firstApiKey = parts.firstApiKey;
  }

  /** Opens the store (applying migrations), prepares keys and builds the API; does not listen. */
  static async create(options: PalaverServerOptions): Promise<PalaverServer> {
    const { config, logger } = options;
    const store = await Store.open({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      logger,
    });
    let media: JanusNode | undefined;
    try {
      const apiKeys = new ApiKeyService(store);
      if (config.apiKey !== undefined) {
        await apiKeys.ensureConfiguredKey(config.apiKey);
      }
      const firstApiKey = await apiKeys.ensureFirstKey();
      const signingKeys = await SigningKeySet.load(store);
      const tokens = new TokenVerifier(signingKeys);
      const rooms = new RoomService(store, new ClientTokenIssuer(signingKeys), tokens, {
        onListenerError: (error, event) =>
          logger.error({ err: error, event }, 'room event listener failed'),
      });
      if (options.media !== false) {
        media = await JanusNode.start({ config, logger });
        const engine = media.rooms;
        rooms.on('roomDeleted', (roomId) => {
          engine.destroyRoom(roomId).catch((error: unknown) => {
            logger.error({ err: error, roomId }, 'could not remove a deleted room from janus');
          });
        });
      }
      const app = await createApp({
        logger,
        store,
        apiKeys,
        rooms,
        signingKeys,
        metrics: new HttpMetrics(),
      });
      return new PalaverServer(options, { store, apiKeys, rooms, tokens, app, media, firstApiKey });
    } catch (error) {
      await media?.close();
      await store.close();
      throw error;
    }
  }

  /** The HTTP application, for in-process tests with `inject()`. */
  get app(): FastifyInstance {
    return this.#app;
  }

  /** The base URL clients use; known once listening. */
  get url(): string {
    if (this.#url === undefined) {
      throw new InvalidStateError('server is not listening');
    }
    return this.#url;
  }

  async listen(): Promise<string> {
    await this.#app.listen({ port: this.config.port, host: this.config.host });
    const address = this.#app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : this.config.port;
    this.#url = this.config.publicUrl ?? listenerUrl(this.config.host, port);
    this.logger.info({ url: this.#url, store: this.store.dialect }, 'palaver is listening');
    return this.#url;
  }

  /** Stops accepting requests, finishes those under way, then closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#app.close();
        await this.media?.close();
      } finally {
        await this.store.close();
      }
      this.logger.info('palaver stopped');
    })();
    return this.#closing;
  }
}
