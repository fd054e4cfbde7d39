import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { FrameRateOptions } from '../../gateway/FrameRateLimiter.js';
import type { JanusClient } from '../../janus/JanusClient.js';
import type { ParticipantEvent, RoomPresence, SessionEvent } from '../../rooms/RoomPresence.js';
import { SafeEventEmitter } from '../../SafeEventEmitter.js';
import type { CallService } from '../CallService.js';
import type { ConnectorService } from '../ConnectorService.js';
import type { Call, HangupReason } from '../types.js';
import type { BridgeContext, BridgeRoomHost } from './BridgeContext.js';
import { BridgedCall } from './BridgedCall.js';
import type { EndOptions } from './BridgedCall.js';
import { MediaTicker } from './MediaTicker.js';
import { TelnyxCallControl } from './TelnyxCallControl.js';
import { TranscoderPool } from './TranscoderPool.js';

/** Posts a message into a room's chat (the SDKs' `message_received`). */
export interface RoomMessenger {
  send(roomId: string, fromParticipantId: string, message: Record<string, unknown>): Promise<void>;
  /** The participant left the room; whatever was kept for it can go. */
  forget(roomId: string, participantId: string): void;
  close(): Promise<void> | void;
}

export interface PhoneBridgeOptions {
  logger: Logger;
  calls: CallService;
  connectors: Pick<ConnectorService, 'telnyxApiKey'>;
  presence: RoomPresence;
  rooms: BridgeRoomHost;
  /** A fresh client of this node's Janus (the supervisor's `createClient`). */
  janus: () => Promise<JanusClient>;
  /** Chat delivery for DTMF digits; without one, digits are only logged and emitted. */
  messenger?: RoomMessenger | undefined;
  /** Transcoding worker threads. Default: one per core. */
  workers?: number | undefined;
  /** A stream with no frame for this long is ended (`stream-idle`). Default 10 s. */
  idleTimeoutMs?: number | undefined;
  /** Frames per stream: normal use is 50 inbound + 50 outbound per second. */
  frameRate?: FrameRateOptions | undefined;
  /** Telnyx's API, for Call Control hang-ups. Default `https://api.telnyx.com`. */
  telnyxApiUrl?: string | undefined;
  /** How often a live call touches its record (the reaper ends silent ones). Default 20 s. */
  touchIntervalMs?: number | undefined;
}

export interface DtmfEvent {
  roomId: string;
  participantId: string;
  callId: string | undefined;
  digit: string;
}

export interface PhoneBridgeEvents {
  /** The caller pressed a key. */
  dtmf: [DtmfEvent];
}

export interface LatencyFigures {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface PhoneBridgeStats {
  calls: number;
  workers: number;
  /** CPU time the transcoding workers spent, ms. */
  transcodeBusyMs: number;
  ticks: number;
  skippedTicks: number;
  /** Time a frame spends in the bridge (arrival to sending on), per direction. */
  latency: { toRoom: LatencyFigures; toCaller: LatencyFigures };
}

/** The path Telnyx opens (`<Stream url="wss://…/telnyx?ref=…">`). */
export const INGEST_PATH = '/telnyx';
const LATENCY_SAMPLES = 20_000;

/**
 * The telephone bridge: Telnyx media streams (`/telnyx?ref=…`) in, phone participants in rooms
 * out. It accepts the WebSockets, keeps the live calls, runs the shared 20 ms clock and the
 * transcoding workers, and ends calls when their room, session or record ends. `close()` ends
 * every call (cascading to each call's stream, leg and record) and stops the workers.
 */
export class PhoneBridge extends SafeEventEmitter<PhoneBridgeEvents> {
  readonly #options: PhoneBridgeOptions;
  readonly #logger: Logger;
  readonly #wss: WebSocketServer;
  readonly #calls = new Set<BridgedCall>();
  readonly #transcoders: TranscoderPool;
  readonly #ticker: MediaTicker;
  readonly #callControl: TelnyxCallControl;
  readonly #context: BridgeContext;
  readonly #latency = {
    toRoom: new Float64Array(LATENCY_SAMPLES),
    toCaller: new Float64Array(LATENCY_SAMPLES),
  };
  readonly #latencyCount = { toRoom: 0, toCaller: 0 };
  #client: Promise<JanusClient> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: PhoneBridgeOptions) {
    super((error, event) =>
      options.logger.error({ err: error, event }, 'phone bridge listener failed'),
    );
    this.#options = options;
    this.#logger = options.logger.child({ component: 'phone-bridge' });
    this.#transcoders = new TranscoderPool({ logger: this.#logger, size: options.workers });
    this.#ticker = new MediaTicker(() => this.#transcoders.flush());
    this.#callControl = new TelnyxCallControl({
      apiUrl: options.telnyxApiUrl ?? 'https://api.telnyx.com',
      logger: this.#logger,
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: 64 * 1024,
      perMessageDeflate: false,
      // Every frame is JSON checked field by field (media payloads strictly as base64), so a
      // separate UTF-8 pass over each one buys nothing.
      skipUTF8Validation: true,
    });
    this.#context = {
      logger: this.#logger,
      calls: options.calls,
      presence: options.presence,
      rooms: options.rooms,
      janus: () => this.#janus(),
      transcoders: this.#transcoders,
      ticker: this.#ticker,
      frameRate: options.frameRate ?? { perSecond: 250, burst: 500 },
      idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
      touchIntervalMs: options.touchIntervalMs ?? 20_000,
      dtmf: (roomId, participantId, digit) => this.#dtmf(roomId, participantId, digit),
      hangUp: (call, callControlId) => this.#hangUp(call, callControlId),
      latency: (direction, ms) => this.#recordLatency(direction, ms),
      ended: (call) => {
        this.#calls.delete(call);
        if (call.roomId !== undefined && call.participantId !== undefined) {
          this.#options.messenger?.forget(call.roomId, call.participantId);
        }
      },
    };
    options.calls.on('callEndRequested', (call) => {
      this.#endWhere((c) => c.callId === call.id, 'api-request', { hangUp: true });
    });
    options.presence.on('participantLeft', (event: ParticipantEvent) => {
      // Someone else removed the phone participant (a kick): the call goes with it.
      this.#endWhere(
        (c) => c.participantId === event.participant.id && c.state === 'live',
        'kicked',
        { hangUp: true },
      );
    });
    options.presence.on('sessionEnded', (event: SessionEvent) => {
      this.#endWhere((c) => c.roomId === event.roomId, 'session-ended', { hangUp: true });
    });
  }

  /** Live calls. */
  get calls(): readonly BridgedCall[] {
    return [...this.#calls];
  }

  /** Serves one `/telnyx?ref=…` upgrade (the gateway routes the path here). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing !== undefined) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const url = new URL(request.url ?? '/', 'http://ingest');
    const ref = url.searchParams.get('ref') ?? '';
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      if (this.#closing !== undefined) {
        ws.close(1001, 'server stopping');
        return;
      }
      if (ref === '') {
        this.#logger.warn('phone bridge refused a stream: no ref in the URL');
        ws.close(1008, 'missing ref');
        return;
      }
      const call = new BridgedCall(ws, ref, this.#context);
      this.#calls.add(call);
      call.run().catch((error: unknown) => {
        this.#logger.error({ err: error }, 'phone bridge: a call failed');
        void call.end('bridge-error');
      });
    });
  }

  /** Ends the calls of a deleted room (and hangs them up at Telnyx). */
  roomDeleted(roomId: string): void {
    this.#endWhere((c) => c.roomId === roomId, 'room-deleted', { hangUp: true });
  }

  /** Ends the call of one phone participant (a kick). Returns whether there was one. */
  kick(roomId: string, participantId: string): boolean {
    return this.#endWhere(
      (c) => c.roomId === roomId && c.participantId === participantId,
      'kicked',
      { hangUp: true },
    );
  }

  stats(): PhoneBridgeStats {
    const ticker = this.#ticker.stats;
    return {
      calls: this.#calls.size,
      workers: this.#transcoders.size,
      transcodeBusyMs: this.#transcoders.busyMs,
      ticks: ticker.ticks,
      skippedTicks: ticker.skipped,
      latency: { toRoom: this.#figures('toRoom'), toCaller: this.#figures('toCaller') },
    };
  }

  /** Ends every call, then stops the clock, the workers and the Janus client. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(
        [...this.#calls].map((call) => call.end('server-stopping', { hangUp: true })),
      );
      this.#ticker.stop();
      await this.#transcoders.close();
      await this.#options.messenger?.close();
      const client = this.#client;
      this.#client = undefined;
      await client?.then((c) => c.close()).catch(() => undefined);
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    })();
    return this.#closing;
  }

  #endWhere(
    match: (call: BridgedCall) => boolean,
    reason: HangupReason,
    options: EndOptions,
  ): boolean {
    let found = false;
    for (const call of this.#calls) {
      if (match(call)) {
        found = true;
        void call.end(reason, options);
      }
    }
    return found;
  }

  #janus(): Promise<JanusClient> {
    if (this.#client === undefined) {
      const client = this.#options.janus();
      this.#client = client;
      client.then(
        (c) =>
          c.on('close', () => {
            if (this.#client === client) {
              this.#client = undefined;
            }
          }),
        () => {
          if (this.#client === client) {
            this.#client = undefined;
          }
        },
      );
    }
    return this.#client;
  }

  #dtmf(roomId: string, participantId: string, digit: string): void {
    const call = [...this.#calls].find((c) => c.participantId === participantId);
    this.#logger.info({ roomId, participantId, digit }, 'phone bridge: caller pressed a key');
    this.safeEmit('dtmf', { roomId, participantId, callId: call?.callId, digit });
    this.#options.messenger
      ?.send(roomId, participantId, { type: 'dtmf', digit })
      .catch((error: unknown) => {
        this.#logger.warn({ err: error, roomId }, 'phone bridge could not post a DTMF digit');
      });
  }

  async #hangUp(call: Call, callControlId: string | undefined): Promise<void> {
    let apiKey: string | null;
    try {
      apiKey = await this.#options.connectors.telnyxApiKey(call.connectorId);
    } catch {
      apiKey = null;
    }
    if (apiKey === null) {
      return;
    }
    if (callControlId === undefined) {
      this.#logger.warn(
        { callId: call.id },
        'phone bridge cannot hang up at Telnyx: the stream sent no call_control_id',
      );
      return;
    }
    await this.#callControl.hangup(callControlId, apiKey, { callId: call.id });
  }

  #recordLatency(direction: 'toRoom' | 'toCaller', ms: number): void {
    const index = this.#latencyCount[direction]++ % LATENCY_SAMPLES;
    this.#latency[direction][index] = ms;
  }

  #figures(direction: 'toRoom' | 'toCaller'): LatencyFigures {
    const count = Math.min(this.#latencyCount[direction], LATENCY_SAMPLES);
    if (count === 0) {
      return { samples: 0, p50: NaN, p99: NaN, max: NaN };
    }
    const sorted = this.#latency[direction].slice(0, count).sort();
    const at = (q: number): number => sorted[Math.min(count - 1, Math.floor(q * count))]!;
    return { samples: count, p50: at(0.5), p99: at(0.99), max: sorted[count - 1]! };
  }
}
