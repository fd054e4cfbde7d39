type Entry = { kind: 'audio'; data: Buffer; offset: number } | { kind: 'mark'; name: string };

export interface PlayoutPull {
  /** The frame played this tick, or undefined when nothing was playing. */
  audio: Buffer | undefined;
  /** Marks whose preceding audio has finished playing: echo them now. */
  marks: string[];
}

export interface PlayoutOptions {
  /** Bytes in one 20 ms frame of the bidirectional codec (160 for PCMU/PCMA at 8 kHz). */
  bytesPerFrame?: number;
  /** Byte that fills the rest of a short last frame. */
  silenceByte?: number;
  /** Frames to collect before playing starts (a small jitter buffer); default 2. */
  prebufferFrames?: number;
}

/**
 * What the carrier does with audio an application streams back in `rtp` mode: queue it, play one
 * frame per 20 ms tick to the caller, and return each `mark` once the audio queued before it has
 * played. A short jitter buffer absorbs arrival jitter; running dry while more audio comes later
 * counts as a gap (an underrun the caller hears as silence).
 */
export class PlayoutBuffer {
  private readonly queue: Entry[] = [];
  private readonly bytesPerFrame: number;
  private readonly silenceByte: number;
  private readonly prebufferFrames: number;
  private queuedBytes = 0;
  private pendingMarks: string[] = [];
  private state: 'idle' | 'buffering' | 'playing' | 'starved' = 'idle';
  private bufferingSince = 0;
  private starvedFrames = 0;
  /** Whether the frame pulled at the last tick is still sounding. */
  private playingFrame = false;
  gaps = 0;
  gapFrames = 0;
  maxQueuedBytes = 0;
  framesPlayed = 0;

  constructor(options: PlayoutOptions = {}) {
    this.bytesPerFrame = options.bytesPerFrame ?? 160;
    this.silenceByte = options.silenceByte ?? 0xff;
    this.prebufferFrames = Math.max(1, options.prebufferFrames ?? 2);
  }

  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  /** Queues audio that arrived at `tick`. */
  push(data: Buffer, tick: number): void {
    if (data.length === 0) {
      return;
    }
    this.queue.push({ kind: 'audio', data, offset: 0 });
    this.queuedBytes += data.length;
    if (this.queuedBytes > this.maxQueuedBytes) {
      this.maxQueuedBytes = this.queuedBytes;
    }
    if (this.state === 'starved') {
      this.gaps += 1;
      this.gapFrames += this.starvedFrames;
      this.state = 'buffering';
      this.bufferingSince = tick;
    } else if (this.state === 'idle') {
      this.state = 'buffering';
      this.bufferingSince = tick;
    }
  }

  /**
   * Adds a mark. Returns true when nothing is playing or queued, so the caller echoes it at once.
   */
  mark(name: string): boolean {
    if (this.queuedBytes === 0) {
      if (this.playingFrame) {
        this.pendingMarks.push(name);
        return false;
      }
      return true;
    }
    this.queue.push({ kind: 'mark', name });
    return false;
  }

  /** Drops queued audio; returns every mark that was waiting, to echo now. */
  clear(): string[] {
    const marks = [...this.pendingMarks];
    this.pendingMarks = [];
    for (const entry of this.queue) {
      if (entry.kind === 'mark') {
        marks.push(entry.name);
      }
    }
    this.queue.length = 0;
    this.queuedBytes = 0;
    // Cleared on purpose: the next audio is not a gap.
    this.state = 'idle';
    return marks;
  }

  /** Plays one frame (at tick `tick`). */
  pull(tick: number): PlayoutPull {
    const marks = this.pendingMarks;
    this.pendingMarks = [];
    this.takeLeadingMarks(marks);
    if (this.state === 'buffering') {
      const enough = this.queuedBytes >= this.prebufferFrames * this.bytesPerFrame;
      const waited = tick - this.bufferingSince >= this.prebufferFrames;
      if (enough || waited) {
        this.state = 'playing';
      }
    }
    if (this.state === 'playing' && this.queuedBytes === 0) {
      // Ran dry: silence now; a gap if more audio comes later.
      this.state = 'starved';
      this.starvedFrames = 0;
    }
    if (this.state !== 'playing') {
      if (this.state === 'starved') {
        this.starvedFrames += 1;
      }
      this.playingFrame = false;
      return { audio: undefined, marks };
    }
    const frame = Buffer.allocUnsafe(this.bytesPerFrame);
    let filled = 0;
    while (filled < this.bytesPerFrame) {
      const head = this.queue[0];
      if (head === undefined || head.kind === 'mark') {
        break;
      }
      const take = Math.min(this.bytesPerFrame - filled, head.data.length - head.offset);
      head.data.copy(frame, filled, head.offset, head.offset + take);
      head.offset += take;
      filled += take;
      this.queuedBytes -= take;
      if (head.offset >= head.data.length) {
        this.queue.shift();
      }
      if (filled < this.bytesPerFrame && this.queue[0]?.kind === 'mark') {
        // A mark in the middle of this frame: its audio ends during this tick.
        this.takeLeadingMarks(this.pendingMarks);
      }
    }
    if (filled < this.bytesPerFrame) {
      frame.fill(this.silenceByte, filled);
    }
    // Marks right after this frame's audio are due when the frame has finished sounding.
    this.takeLeadingMarks(this.pendingMarks);
    this.framesPlayed += 1;
    this.playingFrame = true;
    return { audio: filled > 0 ? frame : undefined, marks };
  }

  /** Marks still waiting for audio to play (for the summary when the call ends). */
  get waitingMarks(): number {
    return this.pendingMarks.length + this.queue.filter((e) => e.kind === 'mark').length;
  }

  private takeLeadingMarks(into: string[]): void {
    while (this.queue[0]?.kind === 'mark') {
      const entry = this.queue.shift() as { kind: 'mark'; name: string };
      into.push(entry.name);
    }
  }
}
