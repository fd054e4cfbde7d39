import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { FrameRateLimiter } from '../../gateway/FrameRateLimiter.js';
import type { JanusHandle } from '../../janus/JanusHandle.js';
import type { JanusPluginEvent } from '../../janus/JanusMessages.js';
import type { JanusSession } from '../../janus/JanusSession.js';
import { CallClaimError } from '../CallClaimError.js';
import type { Call, HangupReason } from '../types.js';
import type { IngestFrame, IngestStart } from './ingestFrames.js';
import { parseIngestFrame } from './ingestFrames.js';
import type { BridgeContext } from './BridgeContext.js';
import { ReorderBuffer } from './ReorderBuffer.js';
import { OPUS_PAYLOAD_TYPE, parseRtpPacket } from './rtp.js';
import { TalkDetector } from './TalkDetector.js';
import type { TranscodedFrame, TranscoderChannel } from './TranscoderPool.js';

/** WebSocket close codes the bridge uses towards Telnyx. */
export const IngestClose = {
  Normal: 1000,
  GoingAway: 1001,
  Unsupported: 1003,
  Policy: 1008,
  TooBig: 1009,
  Internal: 1011,
} as const;

/** The payload type of the Opus the leg sends and takes (the transcoder builds the packets). */
const OPUS_PT = OPUS_PAYLOAD_TYPE;
/** Problems logged per call before further ones are only counted. */
const MAX_LOGGED_PROBLEMS = 5;
/** Bytes queued on the Telnyx socket past which frames to the caller are dropped. */
const MAX_SEND_BUFFER = 64 * 1024;
/** Telnyx echoes what the caller hears on this track; such frames are skipped unparsed. */
const OUTBOUND_TRACK = Buffer.from('"track":"outbound"');
/** Ticks of work a call can have at the workers at once (far more than a stall leaves). */
const IN_FLIGHT = 256;
/**
 * Audio below this level (dBFS) counts as quiet: a frame dropped then to cut a backlog is not
 * heard (the talk detector's threshold for "stopped talking" is -55 over half a second).
 */
const QUIET_DBFS = -50;
/** Frames in a row below it that make a pause (100 ms): a frame or two of silence is a dropout. */
const QUIET_FRAMES = 5;
/** Frames held per direction, and how many may stand as a backlog while the audio is loud. */
const BUFFER_DEPTH = 32;
const LOUD_BACKLOG = 10;

type State = 'claiming' | 'joining' | 'live' | 'ending' | 'ended';

export interface EndOptions {
  /** Also hang the phone call up at Telnyx (the room ended it, not the caller). */
  hangUp?: boolean;
  /** Whether to end the call record (false when nothing was claimed). Default true. */
  recordEnded?: boolean;
}

interface TimedFrame {
  data: Uint8Array;
  at: number;
}

export interface BridgedCallStats {
  framesFromCaller: number;
  /** Caller frames that came before the leg was up (dropped). */
  framesBeforeJoin: number;
  framesToRoom: number;
  packetsFromRoom: number;
  framesToCaller: number;
  /** Frames to the caller dropped because the socket could not keep up. */
  droppedToCaller: number;
  /** Caller frames and room packets dropped because the transcoder was overloaded. */
  overloadedFromCaller: number;
  overloadedFromRoom: number;
  ignoredOutbound: number;
  dtmf: number;
  problems: Record<string, number>;
  reorder: ReorderBuffer<TimedFrame>['stats'];
}

/**
 * One phone call on the bridge: the Telnyx media-stream WebSocket, the call record it claims, and
 * the caller's plain-RTP Opus leg in the room's AudioBridge. Every 20 ms it hands the transcoder
 * the caller's next frame (or silence: Janus sends a leg nothing until it has received RTP, and
 * the mix wants a steady stream) and the room's next Opus packet, then sends the Opus to Janus and
 * the μ-law to Telnyx. It ends once, for whichever reason comes first, and cleans up everything.
 */
export class BridgedCall {
  readonly ref: string;
  readonly opened = performance.now();
  readonly #ws: WebSocket;
  readonly #context: BridgeContext;
  readonly #limiter: FrameRateLimiter;
  readonly #fromCaller = new ReorderBuffer<TimedFrame>(2, BUFFER_DEPTH, undefined, LOUD_BACKLOG);
  readonly #fromRoom = new ReorderBuffer<TimedFrame>(1, BUFFER_DEPTH, 65536, LOUD_BACKLOG);
  /** Quiet frames in a row transcoded each way (a backlog may be cut in a pause). */
  #callerQuietFrames = QUIET_FRAMES;
  #roomQuietFrames = QUIET_FRAMES;
  readonly #talk = new TalkDetector();
  /**
   * When each submitted job's frames arrived (NaN: no frame), in submission order, for latency
   * figures: a ring, since results come back in the order jobs went out.
   */
  readonly #inFlight = new Float64Array(IN_FLIGHT * 2);
  #inFlightHead = 0;
  #inFlightTail = 0;
  readonly #stats: BridgedCallStats = {
    framesFromCaller: 0,
    framesBeforeJoin: 0,
    framesToRoom: 0,
    packetsFromRoom: 0,
    framesToCaller: 0,
    droppedToCaller: 0,
    overloadedFromCaller: 0,
    overloadedFromRoom: 0,
    ignoredOutbound: 0,
    dtmf: 0,
    problems: {},
    reorder: this.#fromCaller.stats,
  };
  #logger: Logger;
  #state: State = 'claiming';
  #call: Call | undefined;
  #start: IngestStart | undefined;
  #participantId: string | undefined;
  #janusId: string | undefined;
  #session: JanusSession | undefined;
  #handle: JanusHandle | undefined;
  #socket: Socket | undefined;
  #janusAddress: { ip: string; port: number } | undefined;
  #channel: TranscoderChannel | undefined;
  #releaseRoom: (() => void) | undefined;
  #pendingDigits: string[] = [];
  #lastFrameAt = performance.now();
  #watchdog: NodeJS.Timeout | undefined;
  #toucher: NodeJS.Timeout | undefined;
  /** Whether the UDP socket is connected to the leg's Janus port (sends need no address). */
  #udpConnected = false;
  #problemsLogged = 0;
  #sessionId: string | undefined;
  #endRequest: { reason: HangupReason; options: EndOptions } | undefined;
  #resolveDone: () => void = () => undefined;
  readonly #done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });
  readonly #onTick = (): void => this.#tick();

  constructor(ws: WebSocket, ref: string, context: BridgeContext) {
    this.#ws = ws;
    this.ref = ref;
    this.#context = context;
    this.#logger = context.logger;
    this.#limiter = new FrameRateLimiter(context.frameRate);
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', () => {
      void this.end('stream-closed');
    });
    ws.on('error', (error) => {
      // ws reports oversized frames here (and closes with 1009 itself).
      this.#problem('socket', error.message);
    });
    this.#watchdog = setInterval(() => this.#checkIdle(), 1000);
    this.#watchdog.unref();
  }

  get call(): Call | undefined {
    return this.#call;
  }

  get callId(): string | undefined {
    return this.#call?.id;
  }

  get roomId(): string | undefined {
    return this.#call?.roomId ?? undefined;
  }

  get participantId(): string | undefined {
    return this.#participantId;
  }

  /** The caller's leg in the room's AudioBridge, once joined (moderator mute needs it). */
  get janusId(): string | undefined {
    return this.#janusId;
  }

  get state(): State {
    return this.#state;
  }

  get stats(): BridgedCallStats {
    return this.#stats;
  }

  /** Claims the call and joins its room; failures end the call and close the stream. */
  async run(): Promise<void> {
    let call: Call;
    try {
      call = await this.#context.calls.claimCall(this.ref);
    } catch (error) {
      const reason =
        error instanceof CallClaimError
          ? {
              unknown: 'unknown ref',
              used: 'ref already used',
              expired: 'ref expired',
              ended: 'call already ended',
              full: 'room is full',
            }[error.reason]
          : 'claim failed';
      this.#logger.warn(
        { err: error, callId: error instanceof CallClaimError ? error.callId : undefined },
        `phone bridge refused a stream: ${reason}`,
      );
      this.#closeSocket(IngestClose.Policy, reason);
      await this.#finish('claim-refused', { recordEnded: false });
      return;
    }
    this.#call = call;
    this.#logger = this.#logger.child({ callId: call.id, roomId: call.roomId });
    let request = this.#pendingEnd();
    if (request !== undefined) {
      // The stream closed while claiming: the claimed call ends at once.
      await this.#finish(request.reason, request.options);
      return;
    }
    this.#state = 'joining';
    try {
      await this.#join(call);
    } catch (error) {
      this.#logger.error({ err: error }, 'phone bridge could not join the caller to the room');
      await this.#finish('bridge-error');
      return;
    }
    request = this.#pendingEnd();
    if (request !== undefined) {
      await this.#finish(request.reason, request.options);
      return;
    }
    this.#connectUdp();
    this.#state = 'live';
    // What the caller said while the leg was being set up is stale now: start from here.
    this.#stats.framesBeforeJoin = this.#fromCaller.size;
    this.#fromCaller.clear();
    this.#context.ticker.add(this.#onTick);
    this.#toucher = setInterval(() => {
      if (this.#call !== undefined) {
        this.#context.calls.touch(this.#call.id).catch((error: unknown) => {
          this.#logger.warn({ err: error }, 'phone bridge could not touch the call record');
        });
      }
    }, this.#context.touchIntervalMs);
    this.#toucher.unref();
    try {
      this.#call = await this.#context.calls.markAnswered(call.id, {
        sessionId: this.#sessionId,
        participantId: this.#participantId,
      });
    } catch (error) {
      this.#logger.warn({ err: error }, 'phone bridge: the call could not be marked answered');
    }
    this.#logger.info(
      { participantId: this.#participantId, janusId: this.#janusId },
      'phone bridge: caller joined the room',
    );
    for (const digit of this.#pendingDigits.splice(0)) {
      this.#dtmf(digit);
    }
  }

  /**
   * Ends the call: leaves the room, closes the stream, ends the record. `hangUp` also asks
   * Telnyx to end the phone call (when the room, not the caller, ended it). Idempotent.
   */
  end(reason: HangupReason, options: EndOptions = {}): Promise<void> {
    if (this.#state === 'claiming' || this.#state === 'joining') {
      // run() finishes once the claim or the join has settled.
      this.#endRequest ??= { reason, options };
      this.#stopTimers();
      this.#closeSocket(closeCodeFor(reason), reason);
      return this.#done;
    }
    if (this.#state === 'live') {
      void this.#finish(reason, options);
    }
    return this.#done;
  }

  /** An end asked for while claiming or joining (read through a method: it changes across awaits). */
  #pendingEnd(): { reason: HangupReason; options: EndOptions } | undefined {
    return this.#endRequest;
  }

  async #finish(reason: HangupReason, options: EndOptions = {}): Promise<void> {
    if (this.#state === 'ending' || this.#state === 'ended') {
      return this.#done;
    }
    this.#state = 'ending';
    try {
      await this.#cleanUp(reason, options);
    } finally {
      this.#state = 'ended';
      this.#resolveDone();
      this.#context.ended(this);
    }
  }

  async #cleanUp(reason: HangupReason, options: EndOptions): Promise<void> {
    this.#stopTimers();
    this.#context.ticker.delete(this.#onTick);
    this.#channel?.close();
    if (this.#talk.talking && this.#janusId !== undefined && this.roomId !== undefined) {
      this.#context.rooms.sendAudioBridgeEvent(this.roomId, {
        audiobridge: 'stopped-talking',
        room: this.roomId,
        id: this.#janusId,
      });
    }
    this.#closeSocket(closeCodeFor(reason), reason);
    const handle = this.#handle;
    const session = this.#session;
    this.#handle = undefined;
    this.#session = undefined;
    if (handle !== undefined && !handle.closed) {
      await handle.detach().catch(() => undefined);
    }
    session?.close();
    this.#socket?.close();
    this.#socket = undefined;
    if (this.#participantId !== undefined) {
      await this.#context.presence.leave(this.#participantId).catch((error: unknown) => {
        this.#logger.error({ err: error }, 'phone bridge could not record the caller leaving');
      });
    }
    this.#releaseRoom?.();
    this.#releaseRoom = undefined;
    const call = this.#call;
    if (call === undefined) {
      return;
    }
    if (options.recordEnded !== false) {
      try {
        this.#call = await this.#context.calls.markEnded(call.id, reason);
      } catch (error) {
        this.#logger.error({ err: error }, 'phone bridge could not end the call record');
      }
    }
    if (options.hangUp === true) {
      await this.#context.hangUp(call, this.#start?.callControlId);
    }
    this.#logger.info(
      {
        reason,
        framesFromCaller: this.#stats.framesFromCaller,
        framesBeforeJoin: this.#stats.framesBeforeJoin,
        framesToRoom: this.#stats.framesToRoom,
        framesToCaller: this.#stats.framesToCaller,
        packetsFromRoom: this.#stats.packetsFromRoom,
        droppedToCaller: this.#stats.droppedToCaller,
        overloadedFromCaller: this.#stats.overloadedFromCaller,
        overloadedFromRoom: this.#stats.overloadedFromRoom,
        callerReorder: this.#fromCaller.stats,
        roomReorder: this.#fromRoom.stats,
        problems: this.#stats.problems,
      },
      'phone bridge: call ended',
    );
  }

  // ------------------------------------------------------------------ joining the room

  async #join(call: Call): Promise<void> {
    const roomId = call.roomId;
    if (roomId === null) {
      throw new Error('the call has no room');
    }
    this.#releaseRoom = await this.#context.rooms.holdRoom(roomId);
    const context = JSON.stringify({
      username: call.callerName ?? (call.hidePhoneNumber ? 'Phone caller' : call.from),
      ...(call.hidePhoneNumber ? {} : { phoneNumber: call.from }),
      callId: call.id,
    });
    const participant = await this.#context.presence.join({
      roomId,
      preferredId: randomUUID(),
      context,
    });
    this.#participantId = participant.id;
    this.#sessionId = participant.sessionId;
    const socket = createSocket('udp4');
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('message', (data) => this.#onRtp(data));
    socket.on('error', (error) => this.#problem('udp', error.message));
    const client = await this.#context.janus();
    const session = await client.createSession();
    this.#session = session;
    const handle = await session.attach('janus.plugin.audiobridge', {
      opaqueId: `palaver-phone-${call.id}`,
    });
    this.#handle = handle;
    handle.on('event', (event) => this.#onJanusEvent(event));
    handle.on('closed', () => {
      if (this.#state === 'live') {
        this.#logger.warn('phone bridge: the Janus leg went away');
        void this.end('media-lost');
      }
    });
    const display = {
      participantId: participant.id,
      telephonyEngineParticipant: true,
      external: context,
      canReceiveMessages: false,
      stream: {
        id: randomUUID(),
        key: 'audiobridge',
        isAudioEnabled: true,
        isVideoEnabled: false,
      },
    };
    const recordingFile = await this.#context.rooms.recordingFile(
      roomId,
      participant.id,
      'audiobridge',
    );
    const reply = await handle.message({
      request: 'join',
      room: roomId,
      display: Buffer.from(JSON.stringify(display), 'utf8').toString('base64'),
      muted: false,
      codec: 'opus',
      // The bridge already paces the leg every 20 ms; Janus's default (6 packets) would only add
      // 80 ms of delay.
      prebuffer: 2,
      rtp: { ip: '127.0.0.1', port: socket.address().port, payload_type: OPUS_PT },
      ...(recordingFile === undefined ? {} : { record: true, filename: recordingFile }),
    });
    const rtp = reply.data.rtp as { ip?: unknown; port?: unknown } | undefined;
    if (typeof reply.data.id !== 'string' || typeof rtp?.port !== 'number') {
      throw new Error('the AudioBridge join answered without an id or an RTP port');
    }
    this.#janusId = reply.data.id;
    this.#janusAddress = {
      ip: typeof rtp.ip === 'string' ? rtp.ip : '127.0.0.1',
      port: rtp.port,
    };
    this.#channel = this.#context.transcoders.open(this.#start?.codec ?? 'pcmu', {
      result: (result) => this.#onTranscoded(result),
      failed: () => void this.end('bridge-error'),
    });
  }

  #onJanusEvent(event: JanusPluginEvent): void {
    const data = event.data;
    if (data.audiobridge === 'destroyed') {
      void this.end('room-closed', { hangUp: true });
    } else if (
      data.audiobridge === 'event' &&
      this.#janusId !== undefined &&
      (data.kicked === this.#janusId || data.kicked_all !== undefined)
    ) {
      void this.end('kicked', { hangUp: true });
    }
  }

  // ------------------------------------------------------------------ Telnyx → bridge

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#state === 'ending' || this.#state === 'ended') {
      return;
    }
    this.#lastFrameAt = performance.now();
    if (!this.#limiter.take()) {
      this.#logger.warn('phone bridge: too many frames on the stream; closing it');
      void this.end('stream-flood');
      return;
    }
    if (isBinary) {
      this.#problem('binary_frame', 'binary frames are not media-stream frames');
      return;
    }
    if (this.#start !== undefined && Buffer.isBuffer(data) && data.indexOf(OUTBOUND_TRACK) !== -1) {
      // What the caller hears, echoed back by Telnyx (both_tracks): half of all frames, never
      // wanted, so not even decoded.
      this.#stats.ignoredOutbound += 1;
      return;
    }
    const parsed = parseIngestFrame(rawText(data));
    if (!parsed.ok) {
      if (parsed.problem === 'unsupported_format') {
        this.#logger.warn({ detail: parsed.detail }, 'phone bridge: unsupported media format');
        void this.end('unsupported-media');
        return;
      }
      this.#problem(parsed.problem, parsed.detail);
      return;
    }
    this.#onFrame(parsed.frame);
  }

  #onFrame(frame: IngestFrame): void {
    switch (frame.event) {
      case 'connected':
        break;
      case 'start':
        if (this.#start !== undefined) {
          this.#problem('repeated_start', 'a second start frame was ignored');
          break;
        }
        this.#start = frame;
        this.#logger.info(
          { streamId: frame.streamId, codec: frame.codec },
          'phone bridge: stream started',
        );
        break;
      case 'media':
        if (this.#start === undefined) {
          this.#problem('media_before_start', 'media before start was ignored');
          break;
        }
        if (frame.track !== 'inbound') {
          // What the caller hears (our own audio, echoed back): never into the room.
          this.#stats.ignoredOutbound += 1;
          break;
        }
        this.#stats.framesFromCaller += 1;
        // The payload is copied into the worker's batch when its tick comes.
        this.#fromCaller.put(frame.chunk ?? frame.sequence ?? this.#stats.framesFromCaller, {
          data: frame.payload,
          at: performance.now(),
        });
        break;
      case 'dtmf':
        if (this.#state === 'live') {
          this.#dtmf(frame.digit);
        } else if (this.#pendingDigits.length < 32) {
          this.#pendingDigits.push(frame.digit);
        }
        break;
      case 'mark':
        break;
      case 'error':
        this.#logger.warn(
          { code: frame.code, title: frame.title, detail: frame.detail },
          'phone bridge: Telnyx reported a stream error',
        );
        break;
      case 'stop':
        void this.end('caller-hangup');
        break;
    }
  }

  #dtmf(digit: string): void {
    this.#stats.dtmf += 1;
    const roomId = this.roomId;
    if (roomId === undefined || this.#participantId === undefined) {
      return;
    }
    this.#context.dtmf(roomId, this.#participantId, digit);
  }

  // ------------------------------------------------------------------ media

  #onRtp(data: Buffer): void {
    const packet = parseRtpPacket(data);
    if (packet === undefined || packet.payloadType !== OPUS_PT) {
      return;
    }
    this.#stats.packetsFromRoom += 1;
    this.#fromRoom.put(packet.sequence, { data: packet.payload, at: performance.now() });
  }

  #tick(): void {
    if (this.#state !== 'live' || this.#channel === undefined) {
      return;
    }
    const caller = this.#fromCaller.take(this.#callerQuietFrames >= QUIET_FRAMES);
    const room = this.#fromRoom.take(this.#roomQuietFrames >= QUIET_FRAMES);
    if (this.#inFlightTail - this.#inFlightHead < IN_FLIGHT) {
      const slot = (this.#inFlightTail++ % IN_FLIGHT) * 2;
      this.#inFlight[slot] = caller?.at ?? NaN;
      this.#inFlight[slot + 1] = room?.at ?? NaN;
    }
    this.#channel.submit(caller?.data ?? null, room?.data ?? null);
  }

  #onTranscoded(result: TranscodedFrame): void {
    let callerAt = NaN;
    let roomAt = NaN;
    if (this.#inFlightHead < this.#inFlightTail) {
      const slot = (this.#inFlightHead++ % IN_FLIGHT) * 2;
      callerAt = this.#inFlight[slot]!;
      roomAt = this.#inFlight[slot + 1]!;
    }
    if (result.overloaded !== null) {
      this.#stats.overloadedFromCaller += result.overloaded.caller ? 1 : 0;
      this.#stats.overloadedFromRoom += result.overloaded.room ? 1 : 0;
      return;
    }
    if (this.#state !== 'live' || this.#socket === undefined || this.#janusAddress === undefined) {
      return;
    }
    const now = performance.now();
    if (this.#udpConnected) {
      this.#socket.send(result.rtp);
    } else {
      this.#socket.send(result.rtp, this.#janusAddress.port, this.#janusAddress.ip);
    }
    this.#stats.framesToRoom += 1;
    if (!Number.isNaN(callerAt)) {
      this.#context.latency('toRoom', now - callerAt);
      // Only the caller's own frames tell: the silence sent in for a missing one says nothing.
      this.#callerQuietFrames = result.levelDbfs >= QUIET_DBFS ? 0 : this.#callerQuietFrames + 1;
    }
    if (result.media !== null) {
      this.#roomQuietFrames = result.roomLevelDbfs >= QUIET_DBFS ? 0 : this.#roomQuietFrames + 1;
    }
    const talking = this.#talk.push(result.levelDbfs);
    if (talking !== undefined && this.#janusId !== undefined && this.roomId !== undefined) {
      this.#context.rooms.sendAudioBridgeEvent(this.roomId, {
        audiobridge: talking ? 'talking' : 'stopped-talking',
        room: this.roomId,
        id: this.#janusId,
      });
    }
    if (result.media !== null) {
      if (this.#ws.readyState === WebSocket.OPEN && this.#ws.bufferedAmount < MAX_SEND_BUFFER) {
        this.#ws.send(result.media, { binary: false });
        this.#stats.framesToCaller += 1;
        if (!Number.isNaN(roomAt)) {
          this.#context.latency('toCaller', now - roomAt);
        }
      } else {
        this.#stats.droppedToCaller += 1;
      }
    }
  }

  /**
   * Connects the leg's UDP socket to its Janus port, so each packet is sent without an address
   * to resolve (and only Janus's packets come in). Until it is connected, sends name the address.
   */
  #connectUdp(): void {
    const socket = this.#socket;
    const address = this.#janusAddress;
    if (socket === undefined || address === undefined) {
      return;
    }
    socket.connect(address.port, address.ip, () => {
      this.#udpConnected = this.#socket === socket;
    });
  }

  // ------------------------------------------------------------------ housekeeping

  #checkIdle(): void {
    if (performance.now() - this.#lastFrameAt > this.#context.idleTimeoutMs) {
      this.#logger.warn(
        { idleMs: Math.round(performance.now() - this.#lastFrameAt) },
        'phone bridge: the stream went silent; ending the call',
      );
      void this.end('stream-idle');
    }
  }

  #problem(kind: string, detail: string): void {
    this.#stats.problems[kind] = (this.#stats.problems[kind] ?? 0) + 1;
    if (this.#problemsLogged < MAX_LOGGED_PROBLEMS) {
      this.#problemsLogged += 1;
      this.#logger.warn(
        { problem: kind, detail },
        `phone bridge: ignored a bad stream frame (${kind})${
          this.#problemsLogged === MAX_LOGGED_PROBLEMS ? '; further ones are only counted' : ''
        }`,
      );
    }
  }

  #stopTimers(): void {
    clearInterval(this.#watchdog);
    clearInterval(this.#toucher);
    this.#watchdog = undefined;
    this.#toucher = undefined;
  }

  #closeSocket(code: number, reason: string): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason.slice(0, 120));
      // A peer that never answers the close handshake must not hold the socket.
      setTimeout(() => this.#ws.terminate(), 2000).unref();
    }
  }
}

function closeCodeFor(reason: HangupReason): number {
  switch (reason) {
    case 'caller-hangup':
    case 'stream-closed':
    case 'kicked':
    case 'room-deleted':
    case 'room-closed':
    case 'session-ended':
    case 'api-request':
      return IngestClose.Normal;
    case 'server-stopping':
      return IngestClose.GoingAway;
    case 'stream-flood':
      return IngestClose.Policy;
    case 'unsupported-media':
      return IngestClose.Unsupported;
    default:
      return IngestClose.Internal;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
