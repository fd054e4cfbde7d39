import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApp } from './api/createApp.js';
import { HttpMetrics } from './api/HttpMetrics.js';
import type { CreatedApiKey } from './auth/ApiKeyService.js';
import { ApiKeyService } from './auth/ApiKeyService.js';
import type { Config } from './config.js';
import { listenerUrl } from './config.js';
import { InvalidStateError } from './errors.js';
import { GatewayModerator } from './gateway/GatewayModerator.js';
import { RoomGateway } from './gateway/RoomGateway.js';
import { JanusNode } from './janus/JanusNode.js';
import { CompositionService } from './recording/CompositionService.js';
import { DownloadLinks } from './recording/DownloadLinks.js';
import { FfmpegCompositionEngine } from './recording/FfmpegCompositionEngine.js';
import { MjrConverter } from './recording/MjrConverter.js';
import { RecordingService } from './recording/RecordingService.js';
import { RoomCapacity } from './rooms/RoomCapacity.js';
import { RoomPresence } from './rooms/RoomPresence.js';
import { RoomService } from './rooms/RoomService.js';
import { SessionActions } from './rooms/SessionActions.js';
import { Store } from './store/Store.js';
import { INGEST_PATH, PhoneBridge } from './telephony/bridge/PhoneBridge.js';
import { TextRoomMessenger } from './telephony/bridge/TextRoomMessenger.js';
import { Telephony } from './telephony/Telephony.js';
import { ClientTokenIssuer } from './tokens/ClientTokenIssuer.js';
import { SigningKeySet } from './tokens/SigningKeySet.js';
import { TokenVerifier } from './tokens/TokenVerifier.js';
import { PresenceWebhooks } from './webhooks/PresenceWebhooks.js';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher.js';
import { WebhookSigningKey } from './webhooks/WebhookSigningKey.js';

/** How long shutdown waits for busy HTTP connections before cutting them. */
const SHUTDOWN_GRACE_MS = 5000;

/** The built demo page (apps/demo), found from this file in src/ and in dist/ alike. */
const DEMO_DIR = fileURLToPath(new URL('../../../apps/demo/dist/', import.meta.url));

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
  /** Live sessions and participants; its events say who joined and left. */
  readonly presence: RoomPresence;
  /** The media engine; undefined when started without media. */
  readonly media: JanusNode | undefined;
  /** The room gateway (`/<roomId>/janus`); undefined when started without media. */
  readonly gateway: RoomGateway | undefined;
  /** The key created on this start because none existed; shown once. */
  readonly firstApiKey: CreatedApiKey | undefined;
  /** Connectors, routing rules, calls and call webhooks. */
  readonly telephony: Telephony;
  /** The phone bridge (`/telnyx?ref=…`); undefined when started without media. */
  readonly phoneBridge: PhoneBridge | undefined;
  /** Room webhooks: signed, ordered, durable delivery. */
  readonly webhooks: WebhookDispatcher;
  /** Per-participant track recordings. */
  readonly recordings: RecordingService;
  /** Compositions of recorded sessions. */
  readonly compositions: CompositionService;
  readonly #presenceWebhooks: PresenceWebhooks;
  readonly #moderator: GatewayModerator | undefined;
  readonly #app: FastifyInstance;
  #url: string | undefined;
  #tls: HttpsServer | undefined;
  #tlsUrl: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    options: PalaverServerOptions,
    parts: {
      store: Store;
      apiKeys: ApiKeyService;
      rooms: RoomService;
      tokens: TokenVerifier;
      presence: RoomPresence;
      app: FastifyInstance;
      media: JanusNode | undefined;
      gateway: RoomGateway | undefined;
      firstApiKey: CreatedApiKey | undefined;
      telephony: Telephony;
      phoneBridge: PhoneBridge | undefined;
      webhooks: WebhookDispatcher;
      recordings: RecordingService;
      compositions: CompositionService;
      presenceWebhooks: PresenceWebhooks;
      moderator: GatewayModerator | undefined;
    },
  ) {
    this.config = options.config;
    this.logger = options.logger;
    this.store = parts.store;
    this.apiKeys = parts.apiKeys;
    this.rooms = parts.rooms;
    this.tokens = parts.tokens;
    this.presence = parts.presence;
    this.#app = parts.app;
    this.media = parts.media;
    this.gateway = parts.gateway;
    this.firstApiKey = parts.firstApiKey;
    this.telephony = parts.telephony;
    this.phoneBridge = parts.phoneBridge;
    this.webhooks = parts.webhooks;
    this.recordings = parts.recordings;
    this.compositions = parts.compositions;
    this.#presenceWebhooks = parts.presenceWebhooks;
    this.#moderator = parts.moderator;
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
    let gateway: RoomGateway | undefined;
    let moderator: GatewayModerator | undefined;
    let presence: RoomPresence | undefined;
    let telephony: Telephony | undefined;
    let phoneBridge: PhoneBridge | undefined;
    let webhooks: WebhookDispatcher | undefined;
    let presenceWebhooks: PresenceWebhooks | undefined;
    let recordings: RecordingService | undefined;
    let compositions: CompositionService | undefined;
    let capacity: RoomCapacity | undefined;
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
      presence = new RoomPresence(store, {
        sessionGraceMs: config.sessionGraceMs,
        onListenerError: (error, event) =>
          logger.error({ err: error, event }, 'presence event listener failed'),
        onError: (error, context) => logger.error({ err: error, ...context }, 'presence failed'),
      });
      const webhookSigningKey = await WebhookSigningKey.load(store);
      webhooks = new WebhookDispatcher({
        store,
        signingKey: webhookSigningKey,
        logger: logger.child({ component: 'webhooks' }),
      });
      presenceWebhooks = new PresenceWebhooks(presence, webhooks, logger);
      const recordingLogger = logger.child({ component: 'recordings' });
      recordings = new RecordingService({
        store,
        root: join(config.dataDir, 'recordings'),
        converter: new MjrConverter({
          janusPpRecPath: config.janusPpRecPath,
          ffprobePath: config.ffprobePath,
        }),
        logger: recordingLogger,
        webhooks,
        onListenerError: (error, event) =>
          logger.error({ err: error, event }, 'recording event listener failed'),
      });
      compositions = new CompositionService({
        store,
        recordings,
        engine: new FfmpegCompositionEngine({
          logger: recordingLogger,
          ffmpegPath: config.ffmpegPath,
        }),
        logger: recordingLogger,
        webhooks,
        concurrency:
          config.compositionConcurrency === 0 ? undefined : config.compositionConcurrency,
        onListenerError: (error, event) =>
          logger.error({ err: error, event }, 'composition event listener failed'),
      });
      const recordingService = recordings;
      // A participant who left has closed their recordings: look for them now, not at the next scan.
      presence.on('participantLeft', () => void recordingService.scan());
      // Whatever the store says is open, nobody is connected to a server that just started.
      const recovered = await presence.recover();
      if (recovered.sessionsEnded > 0) {
        logger.info(recovered, 'ended the sessions a previous run left open');
      }
      if (options.media !== false) {
        media = await JanusNode.start({ config, logger });
        // Phone calls take seats against max_participants beside the gateway's connections.
        const seats = new RoomCapacity(store.rooms);
        capacity = seats;
        gateway = new RoomGateway({
          logger,
          tokens,
          rooms: store.rooms,
          presence,
          media: { url: media.supervisor.url, engine: media.rooms },
          recordings,
          roomGraceMs: config.sessionGraceMs,
          otherParticipants: (roomId) => seats.seats(roomId),
        });
        const { rooms: engine, supervisor } = media;
        const roomGateway = gateway;
        seats.countConnectedWith((roomId) => roomGateway.participantCount(roomId));
        moderator = new GatewayModerator({ gateway, engine, logger });
        supervisor.on('restarted', () => roomGateway.mediaRestarted());
        rooms.on('roomDeleted', (roomId) => {
          // Clients first (they see session_terminated), then the rooms in Janus.
          roomGateway.roomDeleted(roomId);
          engine.destroyRoom(roomId).catch((error: unknown) => {
            logger.error({ err: error, roomId }, 'could not remove a deleted room from janus');
          });
        });
      }
      const roomPresence = presence;
      rooms.on('roomDeleted', (roomId) => {
        roomPresence.endSession(roomId).catch((error: unknown) => {
          logger.error({ err: error, roomId }, 'could not end the session of a deleted room');
        });
      });
      telephony = await Telephony.create({
        store,
        rooms,
        logger,
        publicUrl: config.publicUrl,
        regions: config.regions,
        regionCountryCodes: config.regionCountryCodes,
        claimTtlSecs: config.callClaimTtlSecs,
        seats: capacity,
      });
      if (media !== undefined && gateway !== undefined && moderator !== undefined) {
        phoneBridge = createPhoneBridge(
          config,
          logger,
          media,
          gateway,
          moderator,
          presence,
          telephony,
        );
        const bridge = phoneBridge;
        moderator.attachPhones(bridge);
        gateway.route(INGEST_PATH, (request, socket, head) =>
          bridge.handleUpgrade(request, socket, head),
        );
        rooms.on('roomDeleted', (roomId) => bridge.roomDeleted(roomId));
      }
      const sessionActions = new SessionActions(store, presence, { control: moderator });
      const app = await createApp({
        logger,
        store,
        apiKeys,
        rooms,
        sessionActions,
        signingKeys,
        metrics: new HttpMetrics(),
        telephony,
        webhookSigningKey,
        demo: config.demo ? { dir: DEMO_DIR } : undefined,
        media: {
          recordings,
          compositions,
          downloadLinks: new DownloadLinks({
            sign: (timestamp, text) => webhookSigningKey.sign(timestamp, text),
          }),
        },
        publicUrl: config.publicUrl,
      });
      return new PalaverServer(options, {
        store,
        apiKeys,
        rooms,
        tokens,
        presence,
        app,
        media,
        gateway,
        firstApiKey,
        telephony,
        phoneBridge,
        webhooks,
        recordings,
        compositions,
        presenceWebhooks,
        moderator,
      });
    } catch (error) {
      await compositions?.close();
      await recordings?.close();
      await phoneBridge?.close();
      await telephony?.close();
      moderator?.close();
      await gateway?.close();
      await presence?.close();
      await presenceWebhooks?.close();
      await webhooks?.close();
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

  /** The HTTPS base URL, when the TLS listener is on. */
  get tlsUrl(): string | undefined {
    return this.#tlsUrl;
  }

  async listen(): Promise<string> {
    await this.#app.listen({ port: this.config.port, host: this.config.host });
    this.gateway?.attach(this.#app.server);
    const address = this.#app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : this.config.port;
    this.#url = this.config.publicUrl ?? listenerUrl(this.config.host, port);
    this.telephony.setPublicUrl(this.#url);
    this.telephony.start();
    this.webhooks.start();
    this.recordings.start();
    await this.compositions.start();
    if (this.config.tlsCert !== undefined && this.config.tlsKey !== undefined) {
      this.#tlsUrl = await this.#listenTls(this.config.tlsCert, this.config.tlsKey);
    }
    this.logger.info(
      { url: this.#url, tlsUrl: this.#tlsUrl, store: this.store.dialect },
      'palaver is listening',
    );
    return this.#url;
  }

  /** The same REST app and room gateway over HTTPS/WSS (browsers need a secure WebSocket). */
  async #listenTls(certFile: string, keyFile: string): Promise<string> {
    const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    const app = this.#app;
    const server = createHttpsServer({ cert, key }, (request, response) =>
      app.routing(request, response),
    );
    this.#tls = server;
    this.gateway?.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.tlsPort, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return listenerUrl(this.config.host, port).replace(/^http:/, 'https:');
  }

  /** Stops accepting requests, finishes those under way, then closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        // Calls first: each leaves its room and ends its record while those still work.
        await this.phoneBridge?.close();
        this.#moderator?.close();
        await this.gateway?.close();
        await this.presence.close();
        await this.#presenceWebhooks.close();
        // Interrupted conversions and compositions resume at the next start.
        await this.compositions.close();
        await this.recordings.close();
        await this.#closeTls();
        await this.#closeApp();
        await this.telephony.close();
        await this.webhooks.close();
        await this.media?.close();
      } finally {
        await this.store.close();
      }
      this.logger.info('palaver stopped');
    })();
    return this.#closing;
  }

  /**
   * Closes the HTTP app, letting requests under way finish; connections still busy after a few
   * seconds (a slow client downloading a recording) are cut so that shutdown cannot hang.
   */
  async #closeApp(): Promise<void> {
    const timer = setTimeout(() => this.#app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      await this.#app.close();
    } finally {
      clearTimeout(timer);
    }
  }

  async #closeTls(): Promise<void> {
    const server = this.#tls;
    if (server === undefined) {
      return;
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
}

function createPhoneBridge(
  config: Config,
  logger: Logger,
  media: JanusNode,
  gateway: RoomGateway,
  moderator: GatewayModerator,
  presence: RoomPresence,
  telephony: Telephony,
): PhoneBridge {
  return new PhoneBridge({
    logger,
    calls: telephony.calls,
    connectors: telephony.connectors,
    presence,
    rooms: {
      holdRoom: (roomId) => gateway.holdRoom(roomId),
      recordingFile: (roomId, participantId, streamKey) =>
        gateway.recordingFile(roomId, participantId, streamKey),
      // A caller a moderator muted is not shown talking.
      sendAudioBridgeEvent: (roomId, data) => {
        if (moderator.allowsPhoneEvent(roomId, data)) {
          gateway.sendAudioBridgeEvent(roomId, data);
        }
      },
    },
    janus: () => media.supervisor.createClient(),
    messenger: new TextRoomMessenger({
      logger,
      janus: () => media.supervisor.createClient(),
      textRoomId: (roomId) => media.rooms.textRoomId(roomId),
    }),
    workers: config.bridgeWorkers === 0 ? undefined : config.bridgeWorkers,
    idleTimeoutMs: config.bridgeIdleMs,
    telnyxApiUrl: config.telnyxApiUrl,
  });
}
