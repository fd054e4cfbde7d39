import type { WebSocket } from 'ws';
import type { AppStreamFrame, TelnyxStreamFrame } from './frames.js';

/** What the stub saw on one media-stream WebSocket. */
export class StubStream {
  readonly ref: string;
  readonly socket: WebSocket;
  /** Raw frame texts in arrival order (when `keepFrames`). */
  readonly frames: string[] = [];
  /** Parsed frames in arrival order (when `keepFrames`). */
  readonly parsed: TelnyxStreamFrame[] = [];
  /** Frames that failed validation, with why. */
  readonly invalid: Array<{ text: string; detail: string }> = [];
  readonly counts = {
    messages: 0,
    inbound: 0,
    outbound: 0,
    dtmf: 0,
    marks: 0,
    errors: 0,
    stops: 0,
  };
  /** Inbound chunks never seen (up to the highest seen), duplicates, and arrivals below the highest. */
  inboundMissing = 0;
  inboundDuplicates = 0;
  inboundOutOfOrder = 0;
  highestInboundChunk = 0;
  started = false;
  stopped = false;
  closeCode: number | undefined;
  private seen = new Uint8Array(1024);

  constructor(ref: string, socket: WebSocket) {
    this.ref = ref;
    this.socket = socket;
  }

  /** Sends a frame (object or raw text) to the simulator. */
  send(frame: AppStreamFrame | string): void {
    if (this.socket.readyState === this.socket.OPEN) {
      this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    }
  }

  /** Recorded frames of one event type. */
  framesOf<E extends TelnyxStreamFrame['event']>(
    event: E,
  ): Array<Extract<TelnyxStreamFrame, { event: E }>> {
    return this.parsed.filter(
      (f): f is Extract<TelnyxStreamFrame, { event: E }> => f.event === event,
    );
  }

  /** @internal */
  noteInboundChunk(chunk: number): void {
    if (chunk >= this.seen.length) {
      const grown = new Uint8Array(Math.max(chunk + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[chunk] === 1) {
      this.inboundDuplicates += 1;
      return;
    }
    this.seen[chunk] = 1;
    if (chunk < this.highestInboundChunk) {
      this.inboundOutOfOrder += 1;
      this.inboundMissing -= 1;
    } else {
      this.inboundMissing += chunk - this.highestInboundChunk - 1;
      this.highestInboundChunk = chunk;
    }
  }
}
