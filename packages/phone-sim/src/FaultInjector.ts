import { SeededRandom } from './SeededRandom.js';

/**
 * Misbehaviour to inject into a call's media stream, to check that a connector survives what a
 * real network and carrier can do. Probabilities are per inbound media frame unless noted.
 */
export interface FaultOptions {
  /** Seed for the fault dice (default: time based); the same seed replays the same faults. */
  seed?: number;
  /** Frames silently not sent (their sequence numbers and chunks are skipped). */
  drop?: number;
  /** Frames sent twice. */
  duplicate?: number;
  /** Frames held back and sent after the next one. */
  reorder?: number;
  /** Frames are held and released `burst` at a time (e.g. 5: five frames every 100 ms). */
  burst?: number;
  /** Payloads replaced by text that is not base64. */
  badBase64?: number;
  /** Payloads of the wrong size (not 160 bytes). */
  wrongSize?: number;
  /** Frames cut in half, so they are not valid JSON. */
  malformedJson?: number;
  /** Per tick: an extra frame with an event name Telnyx never sends. */
  unknownEvent?: number;
  /** On hang-up, close the WebSocket without sending `stop` ('close': clean close; 'terminate': drop the TCP connection). */
  closeWithoutStop?: boolean | 'close' | 'terminate';
  /** On hang-up, send `stop` but leave the WebSocket open (until the server closes it or the linger time ends). */
  stopWithoutClose?: boolean;
  /** Read the server's frames only one tick in N (the socket is paused otherwise): a very slow reader. */
  slowReader?: number;
  /** Once streaming, open a second WebSocket to the same URL (the same `ref`) and see whether it is refused. */
  reuseRef?: boolean;
  /** Wait this long after the TeXML answer before opening the stream (e.g. 91000 to let a 90 s `ref` expire). */
  connectDelayMs?: number;
}

export interface FaultCounters {
  dropped: number;
  duplicated: number;
  reordered: number;
  bursts: number;
  badBase64: number;
  wrongSize: number;
  malformedJson: number;
  unknownEvents: number;
}

export function emptyFaultCounters(): FaultCounters {
  return {
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    bursts: 0,
    badBase64: 0,
    wrongSize: 0,
    malformedJson: 0,
    unknownEvents: 0,
  };
}

const UNKNOWN_EVENTS = ['hold', 'keepalive', 'transcription', 'media_v2', 'Media'];
const WRONG_SIZES = [80, 159, 161, 320];

/** Whether any option asks for frame-level faults (the fast path skips the injector otherwise). */
export function hasFrameFaults(f: FaultOptions | undefined): boolean {
  return (
    f !== undefined &&
    Boolean(
      f.drop ||
      f.duplicate ||
      f.reorder ||
      (f.burst !== undefined && f.burst > 1) ||
      f.badBase64 ||
      f.wrongSize ||
      f.malformedJson ||
      f.unknownEvent,
    )
  );
}

/**
 * Applies frame-level faults to the inbound media as it is sent. Nothing is lost by the injector
 * itself: frames it holds back (reorder, bursts) come out later or at {@link flush}.
 */
export class FaultInjector {
  readonly counters = emptyFaultCounters();
  private readonly random: SeededRandom;
  private readonly options: FaultOptions;
  private held: string | undefined;
  private readonly burstQueue: string[] = [];

  constructor(options: FaultOptions) {
    this.options = options;
    this.random = new SeededRandom(options.seed);
  }

  /** Maybe replaces a payload (base64 of `bytes` bytes of audio). */
  payload(original: string): string {
    if (this.random.chance(this.options.badBase64)) {
      this.counters.badBase64 += 1;
      // Same length as a real payload, but with characters base64 does not have.
      return '*not-base64*'.padEnd(original.length, '!');
    }
    if (this.random.chance(this.options.wrongSize)) {
      this.counters.wrongSize += 1;
      const size = WRONG_SIZES[this.random.int(WRONG_SIZES.length)] ?? 80;
      return Buffer.alloc(size, 0xff).toString('base64');
    }
    return original;
  }

  /** Whether this frame is dropped (decide before building it, so its number is still used). */
  drop(): boolean {
    if (this.random.chance(this.options.drop)) {
      this.counters.dropped += 1;
      return true;
    }
    return false;
  }

  /** An unknown-event frame to send this tick, or undefined. */
  unknownEvent(sequenceNumber: () => number, streamId: string): string | undefined {
    if (!this.random.chance(this.options.unknownEvent)) {
      return undefined;
    }
    this.counters.unknownEvents += 1;
    const event = UNKNOWN_EVENTS[this.random.int(UNKNOWN_EVENTS.length)] ?? 'hold';
    return JSON.stringify({
      event,
      sequence_number: String(sequenceNumber()),
      stream_id: streamId,
    });
  }

  /** Takes one frame's text; returns the texts to send now, in order. */
  frame(text: string): string[] {
    let out: string[] = [];
    let current = text;
    if (this.random.chance(this.options.malformedJson)) {
      this.counters.malformedJson += 1;
      current = current.slice(0, Math.floor(current.length / 2));
    }
    const copies = this.random.chance(this.options.duplicate) ? 2 : 1;
    if (copies === 2) {
      this.counters.duplicated += 1;
    }
    if (this.held !== undefined) {
      out = copies === 2 ? [current, current, this.held] : [current, this.held];
      this.held = undefined;
    } else if (this.random.chance(this.options.reorder)) {
      this.counters.reordered += 1;
      this.held = current;
      out = copies === 2 ? [current] : [];
    } else {
      out = copies === 2 ? [current, current] : [current];
    }
    const burst = this.options.burst ?? 1;
    if (burst > 1) {
      this.burstQueue.push(...out);
      if (this.burstQueue.length >= burst) {
        this.counters.bursts += 1;
        return this.burstQueue.splice(0);
      }
      return [];
    }
    return out;
  }

  /** Everything still held back. */
  flush(): string[] {
    const out = this.burstQueue.splice(0);
    if (this.held !== undefined) {
      out.push(this.held);
      this.held = undefined;
    }
    return out;
  }
}
