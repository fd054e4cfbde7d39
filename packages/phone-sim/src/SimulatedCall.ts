import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { alawDecode, alawEncode, floatToInt16, mulawDecode, mulawEncode } from './audio/g711.js';
import { CallerAudio, SAMPLES_PER_FRAME, type CallerCodec } from './CallerAudio.js';
import { PhoneSimError, PhoneSimErrorCode } from './errors.js';
import {
  FaultInjector,
  emptyFaultCounters,
  hasFrameFaults,
  type FaultCounters,
  type FaultOptions,
} from './FaultInjector.js';
import {
  connectedFrame,
  decodeBase64Strict,
  dtmfFrame,
  errorFrame,
  markFrame,
  parseAppFrame,
  serializeMediaFrame,
  startFrame,
  stopFrame,
  type StreamErrorKind,
} from './frames.js';
import { Histogram } from './Histogram.js';
import { newCallIdentity, newUuid, type CallIdentity } from './ids.js';
import { FRAME_MS, MediaClock } from './MediaClock.js';
import { PlayoutBuffer } from './PlayoutBuffer.js';
import { parseTexml, type StreamInstruction, type TexmlDocument, type TexmlVerb } from './texml.js';
import { TypedEmitter } from './TypedEmitter.js';
import {
  sendWebhook,
  voiceWebhookFields,
  type HttpMethod,
  type WebhookExchange,
} from './webhooks.js';
import type { WebhookSigner } from './WebhookSigner.js';

export type CallStatus = 'completed' | 'rejected' | 'busy' | 'failed';
export type HangupSource = 'caller' | 'callee' | 'error';

export interface SimulatedCallOptions {
  /** The TeXML application's voice webhook, e.g. a Palaver connector's `webhookUrl`. */
  webhookUrl: string;
  /** POST (form body, the default) or GET (query string). */
  method?: HttpMethod;
  from?: string;
  to?: string;
  /** Fixed ids instead of random ones (AccountSid, CallSid, …). */
  identity?: Partial<CallIdentity>;
  /** `CallStatus` of the instruction fetch; `ringing` by default. */
  callStatus?: string;
  /** Signs every webhook with Telnyx's Ed25519 scheme. */
  signer?: WebhookSigner;
  /** Tried when the webhook does not answer 2xx, as Telnyx does. */
  failoverUrl?: string;
  webhookTimeoutMs?: number;
  /** Receives call-progress callbacks (in-progress, completed). */
  statusCallbackUrl?: string;
  statusCallbackMethod?: HttpMethod;
  /** What the caller says (default: silence). */
  audio?: CallerAudio;
  /** The caller hangs up this long after the answer (default: the audio's length, or 10 s). */
  durationMs?: number;
  /** DTMF digits the caller presses, `atMs` after the answer. */
  dtmf?: { digits: string; atMs: number; intervalMs?: number };
  /** Keep what the caller hears (8 kHz) for {@link SimulatedCall.heardAudio}. */
  record?: boolean;
  /** Audio the application streams back is buffered this long before it plays (default 40 ms). */
  jitterBufferMs?: number;
  /** A frame sent later than this after its due time counts as late (default 10 ms). */
  lateThresholdMs?: number;
  /** After `stop`, how long to wait for the WebSocket to close (default 2000 ms). */
  lingerMs?: number;
  handshakeTimeoutMs?: number;
  /** The pacing clock; share one among many calls. */
  clock?: MediaClock;
  faults?: FaultOptions;
  /** Speech for `<Say>` (default: none, the caller hears silence of about the right length). */
  speech?: (text: string) => Promise<Float32Array>;
  /** Shared histogram for send lateness (a load run merges every call into one). */
  latenessHistogram?: Histogram;
}

export interface StreamSummary {
  url: string;
  streamId: string | undefined;
  track: string;
  codec: string;
  bidirectionalMode: string;
  bidirectionalCodec: string;
  customParameters: Record<string, string>;
  /** Time to open the WebSocket, ms. */
  connectMs: number | undefined;
  /** Why it could not be opened (e.g. `HTTP 403`). */
  connectError: string | undefined;
  closedBy: 'simulator' | 'server' | undefined;
  closeCode: number | undefined;
  closeReason: string | undefined;
  durationMs: number;
  /** With the `reuseRef` fault: what the server did with a second socket on the same URL. */
  reuseRef?: { outcome: 'refused' | 'accepted'; detail: string };
}

export interface CallSummary {
  callSid: string;
  from: string;
  to: string;
  status: CallStatus;
  hangupSource: HangupSource;
  error: { code: string; message: string } | undefined;
  webhook:
    | { url: string; method: HttpMethod; status: number; latencyMs: number; failover: boolean }
    | undefined;
  verbs: string[];
  stream: StreamSummary | undefined;
  /** From the answer to the hang-up. */
  durationMs: number;
  sent: {
    /** Inbound (caller) media frames sent, duplicates included. */
    inboundFrames: number;
    /** Outbound (what the caller heard) media frames sent. */
    outboundFrames: number;
    dtmf: number;
    marks: number;
    errors: number;
    /** Every text message sent on the stream. */
    messages: number;
  };
  received: {
    media: number;
    bytes: number;
    marks: number;
    clears: number;
    malformed: number;
    invalidMedia: number;
    unknownEvents: number;
    messages: number;
  };
  timing: {
    /** Caller frames sent more than `lateThresholdMs` after they were due. */
    lateFrames: number;
    maxLatenessMs: number;
    meanLatenessMs: number;
    /** RFC 3550-style interarrival jitter of the application's audio, ms. */
    jitterMs: number;
    /** Playout underruns: the caller heard silence and then more audio. */
    gaps: number;
    gapMs: number;
    /** From the stream opening to the first audio the application sent. */
    firstMediaMs: number | undefined;
    /** Most bytes waiting in the WebSocket's send buffer (a slow reader shows here). */
    maxSendBufferBytes: number;
  };
  faults: FaultCounters;
  warnings: string[];
}

export type SimulatedCallEvents = {
  webhook: [exchange: WebhookExchange];
  texml: [document: TexmlDocument];
  streamOpen: [info: { url: string; streamId: string }];
  streamClosed: [info: { code: number; reason: string; by: 'simulator' | 'server' }];
  frameSent: [text: string];
  frameReceived: [text: string];
  warning: [message: string];
  ended: [summary: CallSummary];
};

const MAX_WARNINGS = 50;

function ceilTicks(ms: number): number {
  return Math.max(0, Math.ceil(ms / FRAME_MS - 1e-9));
}

/**
 * One simulated inbound call, doing what Telnyx does for a TeXML application with media streaming:
 * fetch the TeXML, run its verbs, open the `<Stream>` WebSocket, send `connected`, `start`, paced
 * 20 ms media, `dtmf` and `stop`, and play what the application streams back to the caller.
 *
 * Pacing comes from a {@link MediaClock} that many calls share; a call keeps no timers of its own
 * while it streams. `run()` resolves with a {@link CallSummary} when the call is over.
 */
export class SimulatedCall extends TypedEmitter<SimulatedCallEvents> {
  readonly identity: CallIdentity;
  private readonly options: SimulatedCallOptions;
  private readonly clock: MediaClock;
  private readonly ownsClock: boolean;
  private readonly audio: CallerAudio;
  private readonly lateness: Histogram;
  private readonly injector: FaultInjector | undefined;
  private readonly lateThresholdMs: number;
  private unsubscribe: (() => void) | undefined;
  private runPromise: Promise<CallSummary> | undefined;
  private resolveRun: ((summary: CallSummary) => void) | undefined;
  private closed = false;
  private ended = false;
  private answered = false;
  private answerTick = 0;
  private answeredAt = 0;
  private endedAt = 0;
  private hangupTick = Number.POSITIVE_INFINITY;
  private readonly dtmfPlan: Array<{ tick: number; digit: string }> = [];
  private waits: Array<{ tick: number; resolve: () => void }> = [];
  private status: CallStatus = 'completed';
  private hangupSource: HangupSource = 'caller';
  private error: { code: string; message: string } | undefined;
  private webhookInfo: CallSummary['webhook'];
  private verbs: string[] = [];
  private readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  private progressSequence = 0;

  // stream
  private ws: WebSocket | undefined;
  /** The TCP socket under `ws`, to batch one tick's frames into one write. */
  private socket: Socket | undefined;
  private instruction: StreamInstruction | undefined;
  private streamState: 'none' | 'connecting' | 'open' | 'stopping' | 'closed' = 'none';
  private streamSummary: StreamSummary | undefined;
  private streamId: string | undefined;
  private streamCodec: CallerCodec = 'PCMU';
  private sendsInbound = true;
  private sendsOutbound = false;
  private sequence = 0;
  private inboundChunk = 0;
  private outboundChunk = 0;
  private streamStartTick = 0;
  private streamOpenedAt = 0;
  private streamClosedAt = 0;
  private closeInitiated = false;
  private streamClosedPromise: Promise<void> | undefined;
  private resolveStreamClosed: (() => void) | undefined;
  private playout: PlayoutBuffer | undefined;
  private lastMp3At = Number.NEGATIVE_INFINITY;
  private sayAudio: Int16Array | undefined;
  private sayPosition = 0;
  private readonly recording: Int16Array[] = [];

  // counters
  private readonly sent = {
    inboundFrames: 0,
    outboundFrames: 0,
    dtmf: 0,
    marks: 0,
    errors: 0,
    messages: 0,
  };
  private readonly received = {
    media: 0,
    bytes: 0,
    marks: 0,
    clears: 0,
    malformed: 0,
    invalidMedia: 0,
    unknownEvents: 0,
    messages: 0,
  };
  private lateFrames = 0;
  private latenessCount = 0;
  private latenessSum = 0;
  private latenessMax = 0;
  private jitter = 0;
  private lastTransit: number | undefined;
  private lastArrival = 0;
  private mediaReceivedMs = 0;
  private firstMediaAt: number | undefined;
  private maxSendBuffer = 0;

  constructor(options: SimulatedCallOptions) {
    super();
    if (options.durationMs !== undefined && !(options.durationMs >= 0)) {
      throw PhoneSimError.invalidOption('durationMs', String(options.durationMs));
    }
    if (options.dtmf !== undefined && !/^[0-9*#A-D]*$/.test(options.dtmf.digits)) {
      throw PhoneSimError.invalidOption('dtmf', `"${options.dtmf.digits}" (digits 0-9, *, #, A-D)`);
    }
    this.options = options;
    this.identity = newCallIdentity({
      ...options.identity,
      from: options.from ?? options.identity?.from ?? '+13125550100',
      to: options.to ?? options.identity?.to ?? '+13125550199',
    });
    this.ownsClock = options.clock === undefined;
    this.clock = options.clock ?? new MediaClock();
    this.audio = options.audio ?? CallerAudio.silence();
    this.lateness = options.latenessHistogram ?? new Histogram();
    this.lateThresholdMs = options.lateThresholdMs ?? 10;
    this.injector = hasFrameFaults(options.faults)
      ? new FaultInjector(options.faults ?? {})
      : undefined;
  }

  /** Places the call and resolves when it has ended (never rejects: failures are in the summary). */
  run(): Promise<CallSummary> {
    if (this.runPromise === undefined) {
      this.runPromise = new Promise<CallSummary>((resolve) => {
        this.resolveRun = resolve;
      });
      if (this.closed) {
        this.fail(new PhoneSimError(PhoneSimErrorCode.Closed, 'the call was closed before it ran'));
      } else {
        void this.place();
      }
    }
    return this.runPromise;
  }

  /** The caller hangs up now (sends `stop` and closes the stream). */
  hangup(): void {
    if (!this.ended) {
      void this.finish('completed', 'caller');
    }
  }

  /** The caller presses keys now (one `dtmf` frame per digit, `intervalMs` apart). */
  pressDigits(digits: string, intervalMs = 250): void {
    if (!/^[0-9*#A-D]*$/.test(digits)) {
      throw PhoneSimError.invalidOption('digits', `"${digits}" (digits 0-9, *, #, A-D)`);
    }
    const start = this.clock.currentTick;
    [...digits].forEach((digit, i) => {
      this.dtmfPlan.push({ tick: start + i * ceilTicks(intervalMs), digit });
    });
  }

  /** Ends the call if needed and releases everything. Idempotent. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (!this.ended && this.runPromise !== undefined) {
      void this.finish('completed', 'caller');
    }
  }

  /** What the caller heard (8 kHz, 16-bit), from the answer on; needs `record: true`. */
  heardAudio(): Int16Array {
    const out = new Int16Array(this.recording.length * SAMPLES_PER_FRAME);
    this.recording.forEach((frame, i) => out.set(frame, i * SAMPLES_PER_FRAME));
    return out;
  }

  /** What the caller said (8 kHz, after G.711), on the same time line as {@link heardAudio}. */
  sentAudio(): Float32Array {
    return this.audio.sent(Math.max(this.recording.length, this.callTicks()));
  }

  // -------------------------------------------------------------------------------------------

  private async place(): Promise<void> {
    let exchange: WebhookExchange;
    try {
      exchange = await this.fetchInstructions();
    } catch (error) {
      this.fail(error);
      return;
    }
    let document: TexmlDocument;
    try {
      document = parseTexml(exchange.responseBody);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.verbs = document.verbs.map((v) => (v.verb === 'Unknown' ? v.name : v.verb));
    for (const warning of document.warnings) {
      this.warn(`TeXML: ${warning}`);
    }
    this.emit('texml', document);
    if (this.closed) {
      void this.finish('completed', 'caller');
      return;
    }
    const first = document.verbs[0];
    if (first?.verb === 'Reject') {
      // Rejected before answer: no media, no cost.
      void this.finish(first.reason === 'busy' ? 'busy' : 'rejected', 'callee');
      return;
    }
    this.answer();
    try {
      await this.runVerbs(document.verbs);
    } catch (error) {
      this.fail(error);
    }
  }

  private async fetchInstructions(): Promise<WebhookExchange> {
    const method = this.options.method ?? 'POST';
    const fields = voiceWebhookFields(this.identity, this.options.callStatus ?? 'ringing');
    const targets = [
      this.options.webhookUrl,
      ...(this.options.failoverUrl === undefined ? [] : [this.options.failoverUrl]),
    ];
    let lastProblem = '';
    for (const [i, url] of targets.entries()) {
      try {
        const exchange = await sendWebhook({
          url,
          method,
          fields,
          signer: this.options.signer,
          timeoutMs: this.options.webhookTimeoutMs ?? 10_000,
        });
        this.emit('webhook', exchange);
        this.webhookInfo = {
          url,
          method,
          status: exchange.status,
          latencyMs: exchange.elapsedMs,
          failover: i > 0,
        };
        if (exchange.status >= 200 && exchange.status < 300) {
          if (exchange.status !== 200) {
            this.warn(`webhook answered ${exchange.status}; Telnyx asks for 200`);
          }
          if (exchange.contentType !== undefined && !/xml/i.test(exchange.contentType)) {
            this.warn(`webhook answered content-type "${exchange.contentType}", not XML`);
          }
          return exchange;
        }
        lastProblem = `${url} answered HTTP ${exchange.status}: ${exchange.responseBody.slice(0, 200)}`;
      } catch (error) {
        lastProblem = error instanceof Error ? error.message : String(error);
      }
    }
    throw new PhoneSimError(
      PhoneSimErrorCode.WebhookFailed,
      `the voice webhook failed: ${lastProblem}`,
    );
  }

  private answer(): void {
    this.answered = true;
    this.answeredAt = performance.now();
    // The time line (answer tick, hang-up, DTMF) is fixed at this call's first tick: with phased
    // clocks that can be one frame after `currentTick`.
    this.answerTick = -1;
    this.unsubscribe = this.clock.subscribe(this.onTick);
    this.sendProgress('in-progress');
  }

  private startTimeline(tick: number): void {
    this.answerTick = tick;
    const durationMs =
      this.options.durationMs ?? (this.audio.frameCount > 0 ? this.audio.durationMs : 10_000);
    this.hangupTick = tick + ceilTicks(durationMs);
    const dtmf = this.options.dtmf;
    if (dtmf !== undefined && dtmf.digits.length > 0) {
      const at = tick + ceilTicks(dtmf.atMs);
      [...dtmf.digits].forEach((digit, i) => {
        this.dtmfPlan.push({ tick: at + i * ceilTicks(dtmf.intervalMs ?? 250), digit });
      });
    }
  }

  private async runVerbs(verbs: TexmlVerb[]): Promise<void> {
    for (const verb of verbs) {
      if (this.ended) {
        return;
      }
      switch (verb.verb) {
        case 'Reject':
          // Only the first verb can reject; later it hangs up the answered call.
          void this.finish('completed', 'callee');
          return;
        case 'Hangup':
          void this.finish('completed', 'callee');
          return;
        case 'Start':
          if (verb.stream !== undefined) {
            if (this.streamState !== 'none') {
              this.warn('a second <Start><Stream> is ignored: one stream per call');
            } else {
              void this.openStream(verb.stream);
            }
          }
          break;
        case 'Stop':
          if (verb.stream) {
            this.stopStream();
          }
          break;
        case 'Pause':
          await this.waitMs(verb.lengthSeconds * 1000);
          break;
        case 'Say':
          await this.say(verb.text, verb.loop);
          break;
        case 'Unknown':
          break;
      }
    }
    // The TeXML ran out: the carrier hangs up.
    if (!this.ended) {
      void this.finish('completed', 'callee');
    }
  }

  private waitMs(ms: number): Promise<void> {
    if (this.ended) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waits.push({ tick: this.clock.currentTick + ceilTicks(ms), resolve });
    });
  }

  private async say(text: string, loop: number): Promise<void> {
    if (text === '') {
      return;
    }
    let speech: Float32Array;
    try {
      if (this.options.speech === undefined) {
        throw new PhoneSimError(
          PhoneSimErrorCode.SpeechUnavailable,
          'no speech synthesizer configured',
        );
      }
      speech = await this.options.speech(text);
    } catch (error) {
      this.warn(
        `<Say> played as silence: ${error instanceof Error ? error.message : String(error)}`,
      );
      // About 65 ms per character at a normal speaking rate.
      speech = new Float32Array(Math.round(text.length * 0.065 * 8000));
    }
    const pcm = floatToInt16(speech);
    // loop="0" repeats until the call ends (at most ten minutes of it).
    const remainingTicks = Number.isFinite(this.hangupTick)
      ? Math.max(1, this.hangupTick - this.clock.currentTick)
      : 30_000;
    const repeats =
      loop === 0
        ? Math.min(
            Math.ceil(
              (Math.min(remainingTicks, 30_000) * SAMPLES_PER_FRAME) / Math.max(1, pcm.length),
            ),
            10_000,
          )
        : loop;
    const all = new Int16Array(pcm.length * Math.max(1, repeats));
    for (let i = 0; i < repeats; i += 1) {
      all.set(pcm, i * pcm.length);
    }
    this.sayAudio = all;
    this.sayPosition = 0;
    await this.waitMs((all.length / 8000) * 1000);
  }

  // -------------------------------------------------------------------------------------------
  // The stream

  private async openStream(instruction: StreamInstruction): Promise<void> {
    this.instruction = instruction;
    this.streamState = 'connecting';
    this.streamSummary = {
      url: instruction.url,
      streamId: undefined,
      track: instruction.track,
      codec: instruction.codec,
      bidirectionalMode: instruction.bidirectionalMode,
      bidirectionalCodec: instruction.bidirectionalCodec,
      customParameters: instruction.parameters,
      connectMs: undefined,
      connectError: undefined,
      closedBy: undefined,
      closeCode: undefined,
      closeReason: undefined,
      durationMs: 0,
    };
    if (instruction.codec === 'PCMA') {
      this.streamCodec = 'PCMA';
    } else if (instruction.codec !== 'PCMU' && instruction.codec !== 'default') {
      this.warn(
        `stream codec ${instruction.codec} needs transcoding Telnyx does not do from PCMU; sending PCMU`,
      );
    }
    this.sendsInbound = instruction.track !== 'outbound_track';
    this.sendsOutbound = instruction.track !== 'inbound_track';
    const delay = this.options.faults?.connectDelayMs;
    if (delay !== undefined && delay > 0) {
      await this.waitMs(delay);
    }
    if (this.ended) {
      this.streamState = 'closed';
      return;
    }
    this.streamClosedPromise = new Promise((resolve) => {
      this.resolveStreamClosed = resolve;
    });
    const started = performance.now();
    const ws = new WebSocket(instruction.url, {
      perMessageDeflate: false,
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
    });
    this.ws = ws;
    let connectProblem: string | undefined;
    ws.on('unexpected-response', (request, response) => {
      connectProblem = `HTTP ${response.statusCode ?? '?'}`;
      response.resume();
      request.destroy();
    });
    ws.on('error', (error) => {
      if (this.streamState === 'connecting') {
        connectProblem ??= error.message;
      } else {
        this.warn(`stream socket error: ${error.message}`);
      }
    });
    ws.on('upgrade', (response) => {
      this.socket = response.socket;
    });
    ws.on('open', () => {
      if (this.streamSummary !== undefined) {
        this.streamSummary.connectMs = performance.now() - started;
      }
      this.onStreamOpen(ws);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onStreamMessage(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => {
      const wasOpen = this.streamState === 'open' || this.streamState === 'stopping';
      this.streamState = 'closed';
      this.streamClosedAt = performance.now();
      if (this.streamSummary !== undefined) {
        if (wasOpen) {
          const by = this.closeInitiated ? 'simulator' : 'server';
          this.streamSummary.closedBy = by;
          this.streamSummary.closeCode = code;
          this.streamSummary.closeReason = reason.toString();
          this.emit('streamClosed', { code, reason: reason.toString(), by });
          if (by === 'server' && !this.ended) {
            this.warn(`the application closed the stream (code ${code}) while the call went on`);
          }
        } else {
          this.streamSummary.connectError =
            connectProblem ?? `closed with code ${code} before opening`;
          this.warn(
            `stream ${instruction.url} could not be opened: ${this.streamSummary.connectError}`,
          );
          this.sendStreamStatus('stream-error', this.streamSummary.connectError);
        }
      }
      this.resolveStreamClosed?.();
    });
  }

  private onStreamOpen(ws: WebSocket): void {
    if (this.ended) {
      this.closeInitiated = true;
      ws.close(1000, 'call ended');
      return;
    }
    const instruction = this.instruction as StreamInstruction;
    this.streamState = 'open';
    this.streamOpenedAt = performance.now();
    this.streamId = newUuid();
    if (this.streamSummary !== undefined) {
      this.streamSummary.streamId = this.streamId;
    }
    if (instruction.bidirectionalMode === 'rtp') {
      const codec = instruction.bidirectionalCodec;
      const rate = instruction.bidirectionalSamplingRate;
      const bytesPerFrame = codec === 'L16' ? (rate / 50) * 2 : codec === 'G722' ? 160 : rate / 50;
      this.playout = new PlayoutBuffer({
        bytesPerFrame,
        silenceByte: codec === 'PCMA' ? 0xd5 : codec === 'PCMU' ? 0xff : 0,
        prebufferFrames: Math.max(1, Math.round((this.options.jitterBufferMs ?? 40) / FRAME_MS)),
      });
      if (!(codec === 'PCMU' || codec === 'PCMA' || (codec === 'L16' && rate === 8000))) {
        this.warn(
          `${codec} at ${rate} Hz from the application is paced but not decoded (not recorded or echoed)`,
        );
      }
    }
    // Fixed at the first media tick, so the first frame has timestamp "0".
    this.streamStartTick = -1;
    this.sendText(JSON.stringify(connectedFrame()));
    this.sendText(
      JSON.stringify(
        startFrame({
          sequenceNumber: this.nextSequence(),
          streamId: this.streamId,
          userId: this.identity.accountSid,
          callControlId: this.identity.callSid,
          callSessionId: this.identity.callSessionId,
          from: this.identity.from,
          to: this.identity.to,
          customParameters: instruction.parameters,
          mediaFormat: { encoding: this.streamCodec, sample_rate: 8000, channels: 1 },
        }),
      ),
    );
    this.emit('streamOpen', { url: instruction.url, streamId: this.streamId });
    this.sendStreamStatus('stream-started');
    if (this.options.faults?.reuseRef === true) {
      void this.probeReusedRef(instruction.url);
    }
  }

  private nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  private sendText(text: string): void {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
      return;
    }
    ws.send(text);
    this.sent.messages += 1;
    if (ws.bufferedAmount > this.maxSendBuffer) {
      this.maxSendBuffer = ws.bufferedAmount;
    }
    if (this.listenerCount('frameSent') > 0) {
      this.emit('frameSent', text);
    }
  }

  private sendError(kind: StreamErrorKind, detail: string): void {
    if (this.streamId === undefined) {
      return;
    }
    this.sent.errors += 1;
    this.sendText(
      JSON.stringify(
        errorFrame({ sequenceNumber: this.nextSequence(), streamId: this.streamId, kind, detail }),
      ),
    );
  }

  private echoMark(name: string): void {
    if (this.streamId === undefined) {
      return;
    }
    this.sent.marks += 1;
    this.sendText(
      JSON.stringify(
        markFrame({ sequenceNumber: this.nextSequence(), streamId: this.streamId, name }),
      ),
    );
  }

  private onStreamMessage(data: RawData, isBinary: boolean): void {
    if (this.streamState !== 'open' && this.streamState !== 'stopping') {
      return;
    }
    this.received.messages += 1;
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as Buffer).toString('utf8');
    if (this.listenerCount('frameReceived') > 0) {
      this.emit('frameReceived', text);
    }
    if (isBinary) {
      this.received.malformed += 1;
      this.warn('the application sent a binary WebSocket message; Telnyx expects JSON text');
      this.sendError('MalformedFrame', 'binary messages are not supported');
      return;
    }
    const parsed = parseAppFrame(text);
    if (!parsed.ok) {
      if (parsed.problem === 'unknown_event') {
        this.received.unknownEvents += 1;
        this.warn(`the application sent an unknown event "${parsed.event ?? '?'}"`);
      } else {
        this.received.malformed += 1;
        // A stable detail (not the JSON parser's wording, which changes between Node versions).
        const detail =
          parsed.problem === 'malformed_json'
            ? 'the frame is not valid JSON'
            : parsed.problem === 'not_an_object'
              ? 'the frame is not a JSON object'
              : parsed.detail;
        this.warn(`the application sent a malformed frame: ${detail}`);
        this.sendError('MalformedFrame', detail);
      }
      return;
    }
    const frame = parsed.frame;
    if (frame.stream_id !== undefined && frame.stream_id !== this.streamId) {
      this.warn(`the application sent stream_id "${frame.stream_id}", not this stream's`);
    }
    switch (frame.event) {
      case 'media':
        this.onAppMedia(frame.media.payload);
        break;
      case 'mark':
        this.received.marks += 1;
        if (this.playout === undefined || this.playout.mark(frame.mark.name)) {
          this.echoMark(frame.mark.name);
        }
        break;
      case 'clear':
        this.received.clears += 1;
        for (const name of this.playout?.clear() ?? []) {
          this.echoMark(name);
        }
        this.sayAudio = undefined;
        break;
    }
  }

  private onAppMedia(payload: string): void {
    const bytes = decodeBase64Strict(payload);
    if (bytes === undefined) {
      this.received.invalidMedia += 1;
      this.warn('the application sent a media payload that is not base64');
      this.sendError('InvalidMedia', 'payload is not valid base64');
      return;
    }
    const now = performance.now();
    this.received.media += 1;
    this.received.bytes += bytes.length;
    if (this.firstMediaAt === undefined) {
      this.firstMediaAt = now;
    }
    const instruction = this.instruction as StreamInstruction;
    if (instruction.bidirectionalMode !== 'rtp' || this.playout === undefined) {
      // mp3 mode: one clip per second at most; clips are not decoded here.
      if (now - this.lastMp3At < 1000) {
        this.sendError('RateLimitReached', 'at most one media message per second in mp3 mode');
      }
      this.lastMp3At = now;
      this.warn('mp3-mode media is accepted but not played (use bidirectionalMode="rtp")');
      return;
    }
    // Interarrival jitter against the media clock (RFC 3550 §6.4.1); a silence of over a second
    // starts a new talk spurt instead of counting as jitter.
    const codec = instruction.bidirectionalCodec;
    const rate = instruction.bidirectionalSamplingRate;
    const bytesPerMs = codec === 'L16' ? (rate / 1000) * 2 : codec === 'G722' ? 8 : rate / 1000;
    const transit = now - this.mediaReceivedMs;
    if (this.lastTransit !== undefined && now - this.lastArrival < 1000) {
      this.jitter += (Math.abs(transit - this.lastTransit) - this.jitter) / 16;
    }
    this.lastTransit = transit;
    this.lastArrival = now;
    this.mediaReceivedMs += bytes.length / bytesPerMs;
    this.playout.push(bytes, this.clock.tickAt(now));
  }

  private stopStream(): void {
    const ws = this.ws;
    if (this.streamState !== 'open' || ws === undefined || this.streamId === undefined) {
      if (this.streamState === 'connecting') {
        // Not open yet: abandon the attempt.
        this.closeInitiated = true;
        ws?.terminate();
      }
      return;
    }
    this.streamState = 'stopping';
    // A slow reader reads again now, or the closing handshake would wait for it.
    ws.resume();
    for (const text of this.injector?.flush() ?? []) {
      this.sent.inboundFrames += 1;
      this.sendText(text);
    }
    const faults = this.options.faults ?? {};
    this.sendStreamStatus('stream-stopped');
    if (faults.closeWithoutStop !== undefined && faults.closeWithoutStop !== false) {
      this.closeInitiated = true;
      if (faults.closeWithoutStop === 'terminate') {
        ws.terminate();
      } else {
        ws.close(1000);
      }
      return;
    }
    this.sendText(
      JSON.stringify(
        stopFrame({
          sequenceNumber: this.nextSequence(),
          streamId: this.streamId,
          userId: this.identity.accountSid,
          callControlId: this.identity.callSid,
        }),
      ),
    );
    if (faults.stopWithoutClose === true) {
      // Leave it open: the application must close it (or the linger time runs out).
      return;
    }
    this.closeInitiated = true;
    ws.close(1000);
  }

  private async probeReusedRef(url: string): Promise<void> {
    const outcome = await new Promise<{ outcome: 'refused' | 'accepted'; detail: string }>(
      (resolve) => {
        const second = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 5000 });
        let settled = false;
        const settle = (result: { outcome: 'refused' | 'accepted'; detail: string }): void => {
          if (!settled) {
            settled = true;
            resolve(result);
            second.terminate();
          }
        };
        second.on('unexpected-response', (request, response) => {
          response.resume();
          request.destroy();
          settle({ outcome: 'refused', detail: `HTTP ${response.statusCode ?? '?'} on upgrade` });
        });
        second.on('error', (error) => settle({ outcome: 'refused', detail: error.message }));
        second.on('close', (code) =>
          settle({ outcome: 'refused', detail: `closed with code ${code}` }),
        );
        second.on('open', () => {
          const streamId = newUuid();
          second.send(JSON.stringify(connectedFrame()));
          second.send(
            JSON.stringify(
              startFrame({
                sequenceNumber: 1,
                streamId,
                userId: this.identity.accountSid,
                callControlId: this.identity.callSid,
                callSessionId: this.identity.callSessionId,
                from: this.identity.from,
                to: this.identity.to,
                customParameters: this.instruction?.parameters ?? {},
                mediaFormat: { encoding: this.streamCodec, sample_rate: 8000, channels: 1 },
              }),
            ),
          );
          // Still open after a second and a half: the server took the reused ref.
          setTimeout(
            () => settle({ outcome: 'accepted', detail: 'still open after 1500 ms' }),
            1500,
          ).unref();
        });
      },
    );
    if (this.streamSummary !== undefined) {
      this.streamSummary.reuseRef = outcome;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The 20 ms tick

  private readonly onTick = (tick: number, dueAt: number): void => {
    if (this.ended) {
      return;
    }
    if (this.answerTick < 0) {
      this.startTimeline(tick);
    }
    if (this.waits.length > 0) {
      const due = this.waits.filter((w) => w.tick <= tick);
      if (due.length > 0) {
        this.waits = this.waits.filter((w) => w.tick > tick);
        for (const w of due) {
          w.resolve();
        }
      }
    }
    if (tick >= this.hangupTick) {
      void this.finish('completed', 'caller');
      return;
    }
    const callFrame = tick - this.answerTick;
    const open = this.streamState === 'open';
    // One write for everything this call sends this tick, not one per frame.
    const socket = open ? this.socket : undefined;
    socket?.cork();
    try {
      this.tickStream(tick, dueAt, callFrame, open);
    } finally {
      socket?.uncork();
    }
  };

  private tickStream(tick: number, dueAt: number, callFrame: number, open: boolean): void {
    if (open && this.streamStartTick < 0) {
      this.streamStartTick = tick;
    }
    if (open && this.sendsInbound) {
      this.sendInbound(tick, dueAt, callFrame);
    }
    this.playTick(tick, open);
    if (open) {
      if (this.dtmfPlan.length > 0) {
        this.sendDueDigits(tick);
      }
      if (this.injector !== undefined && this.streamId !== undefined) {
        const extra = this.injector.unknownEvent(() => this.nextSequence(), this.streamId);
        if (extra !== undefined) {
          this.sendText(extra);
        }
      }
      const slow = this.options.faults?.slowReader;
      if (slow !== undefined && slow > 1 && this.ws !== undefined) {
        if (tick % slow === 0) {
          this.ws.resume();
        } else {
          this.ws.pause();
        }
      }
    } else if (this.dtmfPlan.length > 0 && this.streamState !== 'connecting') {
      const due = this.dtmfPlan.filter((d) => d.tick <= tick);
      if (due.length > 0) {
        this.warn('DTMF pressed while no stream was open; nothing sent');
        this.dtmfPlan.splice(
          0,
          this.dtmfPlan.length,
          ...this.dtmfPlan.filter((d) => d.tick > tick),
        );
      }
    }
  }

  private sendInbound(tick: number, dueAt: number, callFrame: number): void {
    const streamId = this.streamId as string;
    const sequence = this.nextSequence();
    this.inboundChunk += 1;
    const timestamp = (tick - this.streamStartTick) * FRAME_MS;
    let payload = this.audio.payload(callFrame, this.streamCodec);
    const lateness = performance.now() - dueAt;
    this.lateness.record(lateness);
    this.latenessCount += 1;
    this.latenessSum += lateness;
    if (lateness > this.latenessMax) {
      this.latenessMax = lateness;
    }
    if (lateness > this.lateThresholdMs) {
      this.lateFrames += 1;
    }
    const injector = this.injector;
    if (injector === undefined) {
      this.sent.inboundFrames += 1;
      this.sendText(
        serializeMediaFrame(sequence, 'inbound', this.inboundChunk, timestamp, payload, streamId),
      );
      return;
    }
    if (injector.drop()) {
      return;
    }
    payload = injector.payload(payload);
    for (const text of injector.frame(
      serializeMediaFrame(sequence, 'inbound', this.inboundChunk, timestamp, payload, streamId),
    )) {
      this.sent.inboundFrames += 1;
      this.sendText(text);
    }
  }

  /** What the caller hears this tick: the application's audio mixed with `<Say>`. */
  private playTick(tick: number, open: boolean): void {
    const pulled = open && this.playout !== undefined ? this.playout.pull(tick) : undefined;
    for (const name of pulled?.marks ?? []) {
      this.echoMark(name);
    }
    const app = pulled?.audio;
    let say: Int16Array | undefined;
    if (this.sayAudio !== undefined) {
      say = this.sayAudio.subarray(this.sayPosition, this.sayPosition + SAMPLES_PER_FRAME);
      this.sayPosition += SAMPLES_PER_FRAME;
      if (this.sayPosition >= this.sayAudio.length) {
        this.sayAudio = undefined;
      }
    }
    const record = this.options.record === true;
    const echo = open && this.sendsOutbound;
    if (app === undefined && say === undefined) {
      if (record) {
        this.recording.push(new Int16Array(SAMPLES_PER_FRAME));
      }
      return;
    }
    const bidiCodec = this.instruction?.bidirectionalCodec;
    const decodable =
      bidiCodec === 'PCMU' ||
      bidiCodec === 'PCMA' ||
      (bidiCodec === 'L16' && this.instruction?.bidirectionalSamplingRate === 8000);
    // Fast path: only the application's audio, already in the stream's codec, nothing to record.
    if (say === undefined && app !== undefined && !record && bidiCodec === this.streamCodec) {
      if (echo) {
        this.sendOutbound(tick, app.toString('base64'));
      }
      return;
    }
    const pcm = new Int16Array(SAMPLES_PER_FRAME);
    if (app !== undefined && decodable) {
      const decoded =
        bidiCodec === 'PCMU'
          ? mulawDecode(app)
          : bidiCodec === 'PCMA'
            ? alawDecode(app)
            : decodeL16(app);
      pcm.set(decoded.subarray(0, SAMPLES_PER_FRAME));
    }
    if (say !== undefined) {
      for (let i = 0; i < say.length; i += 1) {
        const v = (pcm[i] ?? 0) + (say[i] ?? 0);
        pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
    if (record) {
      this.recording.push(pcm);
    }
    if (echo && (decodable || say !== undefined)) {
      const bytes = this.streamCodec === 'PCMU' ? mulawEncode(pcm) : alawEncode(pcm);
      this.sendOutbound(tick, bytes.toString('base64'));
    }
  }

  private sendOutbound(tick: number, payload: string): void {
    this.outboundChunk += 1;
    this.sent.outboundFrames += 1;
    this.sendText(
      serializeMediaFrame(
        this.nextSequence(),
        'outbound',
        this.outboundChunk,
        (tick - this.streamStartTick) * FRAME_MS,
        payload,
        this.streamId as string,
      ),
    );
  }

  private sendDueDigits(tick: number): void {
    const due = this.dtmfPlan.filter((d) => d.tick <= tick);
    if (due.length === 0) {
      return;
    }
    this.dtmfPlan.splice(0, this.dtmfPlan.length, ...this.dtmfPlan.filter((d) => d.tick > tick));
    for (const { digit } of due) {
      this.sent.dtmf += 1;
      this.sendText(
        JSON.stringify(
          dtmfFrame({
            sequenceNumber: this.nextSequence(),
            streamId: this.streamId as string,
            digit,
            occurredAt: new Date(),
          }),
        ),
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Ending

  private fail(error: unknown): void {
    const code = error instanceof PhoneSimError ? error.code : 'internal_error';
    const message = error instanceof Error ? error.message : String(error);
    this.error = { code, message };
    void this.finish('failed', 'error');
  }

  private async finish(status: CallStatus, source: HangupSource): Promise<void> {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.endedAt = performance.now();
    if (status !== 'completed' || this.status === 'completed') {
      this.status = status;
    }
    this.hangupSource = source;
    for (const w of this.waits) {
      w.resolve();
    }
    this.waits = [];
    if (this.streamState === 'open' || this.streamState === 'connecting') {
      this.stopStream();
    }
    if (this.streamClosedPromise !== undefined && this.streamState !== 'closed') {
      const linger = this.options.lingerMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.streamClosedPromise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, linger);
        }),
      ]);
      clearTimeout(timer);
      // Re-read: the close handler may have run while we waited.
      if (!this.isStreamClosed()) {
        this.closeInitiated = true;
        this.ws?.terminate();
      }
    }
    if (this.streamSummary !== undefined && this.streamOpenedAt > 0) {
      this.streamSummary.durationMs =
        (this.streamClosedAt || performance.now()) - this.streamOpenedAt;
    }
    if (this.answered) {
      this.sendProgress(status === 'failed' ? 'failed' : 'completed');
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.ownsClock) {
      this.clock.close();
    }
    const summary = this.summary();
    this.emit('ended', summary);
    this.resolveRun?.(summary);
  }

  private isStreamClosed(): boolean {
    return this.streamState === 'closed';
  }

  private callTicks(): number {
    if (!this.answered) {
      return 0;
    }
    return Math.max(
      0,
      Math.round(((this.endedAt || performance.now()) - this.answeredAt) / FRAME_MS),
    );
  }

  /** The summary so far (final once `run()` has resolved). */
  summary(): CallSummary {
    return {
      callSid: this.identity.callSid,
      from: this.identity.from,
      to: this.identity.to,
      status: this.status,
      hangupSource: this.hangupSource,
      error: this.error,
      webhook: this.webhookInfo,
      verbs: this.verbs,
      stream: this.streamSummary === undefined ? undefined : { ...this.streamSummary },
      durationMs: this.answered ? (this.endedAt || performance.now()) - this.answeredAt : 0,
      sent: { ...this.sent },
      received: { ...this.received },
      timing: {
        lateFrames: this.lateFrames,
        maxLatenessMs: this.latenessMax,
        meanLatenessMs: this.latenessCount === 0 ? 0 : this.latenessSum / this.latenessCount,
        jitterMs: this.jitter,
        gaps: this.playout?.gaps ?? 0,
        gapMs: (this.playout?.gapFrames ?? 0) * FRAME_MS,
        firstMediaMs:
          this.firstMediaAt === undefined ? undefined : this.firstMediaAt - this.streamOpenedAt,
        maxSendBufferBytes: this.maxSendBuffer,
      },
      faults: this.injector?.counters ?? emptyFaultCounters(),
      warnings: [...this.warnings],
    };
  }

  private warn(message: string): void {
    if (this.warned.has(message)) {
      return;
    }
    this.warned.add(message);
    if (this.warnings.length < MAX_WARNINGS) {
      this.warnings.push(message);
    }
    this.emit('warning', message);
  }

  // -------------------------------------------------------------------------------------------
  // Callbacks (fire and forget: a slow callback server must not hold the call up)

  private sendStreamStatus(
    event: 'stream-started' | 'stream-stopped' | 'stream-error',
    error?: string,
  ): void {
    const instruction = this.instruction;
    if (instruction?.statusCallback === undefined) {
      return;
    }
    const fields: Record<string, string> = {
      AccountSid: this.identity.accountSid,
      CallSid: this.identity.callSid,
      CallSidLegacy: this.identity.callSid,
      StreamEvent: event,
    };
    if (instruction.name !== undefined) {
      fields['StreamName'] = instruction.name;
    }
    fields['StreamSid'] = this.streamId ?? '';
    fields['Timestamp'] = new Date().toISOString();
    if (error !== undefined) {
      fields['StreamError'] = error;
    }
    this.callback(instruction.statusCallback, instruction.statusCallbackMethod, fields);
  }

  private sendProgress(callStatus: string): void {
    const url = this.options.statusCallbackUrl;
    if (url === undefined) {
      return;
    }
    const fields: Record<string, string> = {
      AccountSid: this.identity.accountSid,
      CallSid: this.identity.callSid,
      CallSidLegacy: this.identity.callSid,
      CallStatus: callStatus,
      CallbackSource: 'call-progress-events',
      ConnectionId: this.identity.connectionId,
      From: this.identity.from,
      To: this.identity.to,
      SequenceNumber: String(this.progressSequence),
      Timestamp: new Date().toISOString(),
    };
    this.progressSequence += 1;
    if (callStatus !== 'in-progress') {
      fields['CallDuration'] = String(Math.round((this.callTicks() * FRAME_MS) / 1000));
      fields['HangupSource'] = this.hangupSource === 'callee' ? 'callee' : 'caller';
      fields['HangupCause'] = callStatus === 'failed' ? 'unspecified' : 'normal_clearing';
    }
    this.callback(url, this.options.statusCallbackMethod ?? 'POST', fields);
  }

  private callback(url: string, method: HttpMethod, fields: Record<string, string>): void {
    sendWebhook({ url, method, fields, signer: this.options.signer, timeoutMs: 5000 }).then(
      (exchange) => {
        if (exchange.status < 200 || exchange.status >= 300) {
          this.warn(`callback ${url} answered HTTP ${exchange.status}`);
        }
      },
      (error: unknown) =>
        this.warn(
          `callback ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  }
}

function decodeL16(bytes: Buffer): Int16Array {
  // L16 on the wire is big-endian (network order).
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = bytes.readInt16BE(i * 2);
  }
  return out;
}
