import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PhoneSimError } from './errors.js';
import { Histogram, histogramPercentiles, percentiles, type Percentiles } from './Histogram.js';
import { MediaClock } from './MediaClock.js';
import { SimulatedCall, type CallSummary, type SimulatedCallOptions } from './SimulatedCall.js';
import { TypedEmitter } from './TypedEmitter.js';

export interface LoadOptions {
  /** How many calls, all running at once once the ramp is done. */
  calls: number;
  /** New calls per second (default 50). */
  rampPerSecond?: number;
  /** Options for every call. `from` is numbered up per call (+13125550100, …0101, …). */
  call: Omit<SimulatedCallOptions, 'clock' | 'latenessHistogram'>;
  /** Keep every call's summary in the report (default true). */
  keepSummaries?: boolean;
  /** How often `progress` fires, ms (default 1000). */
  progressIntervalMs?: number;
}

export interface LoadProgress {
  elapsedMs: number;
  started: number;
  active: number;
  ended: number;
  /** CPU time of this process over the last interval, % of one core. */
  cpuPercent: number;
  /** Event-loop utilization over the last interval, 0…1. */
  eventLoopUtilization: number;
}

export interface LoadReport {
  calls: {
    requested: number;
    started: number;
    completed: number;
    failed: number;
    rejected: number;
    streamsOpened: number;
    streamFailures: number;
    peakConcurrent: number;
  };
  wallMs: number;
  /** This process's own cost: the proof the simulator was not the bottleneck. */
  cpu: {
    userMs: number;
    systemMs: number;
    /** Average over the run, % of one core. */
    percentOfOneCore: number;
    /** Highest one-second sample, % of one core. */
    peakPercentOfOneCore: number;
    cores: number;
    eventLoopUtilization: number;
  };
  frames: {
    inboundSent: number;
    outboundSent: number;
    received: number;
    lateFrames: number;
    gaps: number;
  };
  percentiles: {
    webhookMs: Percentiles;
    connectMs: Percentiles;
    firstMediaMs: Percentiles;
    jitterMs: Percentiles;
    /** Every caller frame's send time minus its due time. */
    sendLatenessMs: Percentiles;
    gapsPerCall: Percentiles;
  };
  /** Error codes and how many calls ended with each. */
  errors: Record<string, number>;
  /** Warnings and how many calls reported each. */
  warnings: Record<string, number>;
  summaries?: CallSummary[];
}

export type LoadRunnerEvents = {
  progress: [progress: LoadProgress];
  callEnded: [summary: CallSummary];
};

/** `+13125550100` plus `n`, keeping the number's length. */
export function numberPlus(base: string, n: number): string {
  const match = /^(\D*)(\d+)$/.exec(base);
  if (match === null || n === 0) {
    return base;
  }
  const prefix = match[1] ?? '';
  const digits = match[2] ?? '0';
  const next = (BigInt(digits) + BigInt(n)).toString();
  return prefix + next.padStart(digits.length, '0');
}

/**
 * Runs many simulated calls from one process: started at a steady ramp, all paced by one shared
 * {@link MediaClock}, every caller frame's lateness in one histogram. Reports percentiles and the
 * process's own CPU use, so a run shows whether the simulator or the system under test gave way.
 */
export class LoadRunner extends TypedEmitter<LoadRunnerEvents> {
  private readonly options: LoadOptions;
  private readonly clock = new MediaClock();
  private readonly lateness = new Histogram();
  private readonly active = new Set<SimulatedCall>();
  private readonly summaries: CallSummary[] = [];
  private unsubscribe: (() => void) | undefined;
  private started = 0;
  private ended = 0;
  private peak = 0;
  private startTick = 0;
  private stopped = false;
  private closed = false;
  private runPromise: Promise<LoadReport> | undefined;
  private resolveRun: ((report: LoadReport) => void) | undefined;
  private t0 = 0;
  private cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  private elu0 = performance.eventLoopUtilization();
  private lastSampleAt = 0;
  private lastCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private lastElu = performance.eventLoopUtilization();
  private peakCpu = 0;

  constructor(options: LoadOptions) {
    super();
    if (!Number.isInteger(options.calls) || options.calls < 1) {
      throw PhoneSimError.invalidOption('calls', `${options.calls} (a positive integer)`);
    }
    const ramp = options.rampPerSecond ?? 50;
    if (!(ramp > 0)) {
      throw PhoneSimError.invalidOption('ramp', `${ramp} (calls per second, above 0)`);
    }
    this.options = options;
  }

  run(): Promise<LoadReport> {
    if (this.runPromise !== undefined) {
      return this.runPromise;
    }
    this.runPromise = new Promise<LoadReport>((resolve) => {
      this.resolveRun = resolve;
    });
    this.t0 = performance.now();
    this.cpu0 = process.cpuUsage();
    this.elu0 = performance.eventLoopUtilization();
    this.lastSampleAt = this.t0;
    this.lastCpu = this.cpu0;
    this.lastElu = this.elu0;
    this.unsubscribe = this.clock.subscribe(this.onTick);
    this.startTick = this.clock.currentTick;
    return this.runPromise;
  }

  /** Stops starting calls and hangs up the running ones; `run()` then resolves. */
  stop(): void {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    for (const call of this.active) {
      call.hangup();
    }
    this.maybeDone();
  }

  /** Idempotent: stops the run and releases the clock. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.stop();
    this.clock.close();
  }

  private readonly onTick = (tick: number): void => {
    const elapsedMs = (tick - this.startTick) * this.clock.periodMs;
    if (!this.stopped) {
      const rate = this.options.rampPerSecond ?? 50;
      const due = Math.min(this.options.calls, Math.floor((elapsedMs / 1000) * rate) + 1);
      while (this.started < due) {
        this.startCall();
      }
    }
    const interval = this.options.progressIntervalMs ?? 1000;
    const now = performance.now();
    if (now - this.lastSampleAt >= interval) {
      const cpu = process.cpuUsage(this.lastCpu);
      const elu = performance.eventLoopUtilization(this.lastElu);
      const cpuPercent = ((cpu.user + cpu.system) / 1000 / (now - this.lastSampleAt)) * 100;
      this.peakCpu = Math.max(this.peakCpu, cpuPercent);
      this.lastCpu = process.cpuUsage();
      this.lastElu = performance.eventLoopUtilization();
      this.lastSampleAt = now;
      this.emit('progress', {
        elapsedMs: now - this.t0,
        started: this.started,
        active: this.active.size,
        ended: this.ended,
        cpuPercent,
        eventLoopUtilization: elu.utilization,
      });
    }
  };

  private startCall(): void {
    const index = this.started;
    this.started += 1;
    const base = this.options.call;
    const call = new SimulatedCall({
      ...base,
      from: numberPlus(base.from ?? '+13125550100', index),
      clock: this.clock,
      latenessHistogram: this.lateness,
    });
    this.active.add(call);
    this.peak = Math.max(this.peak, this.active.size);
    void call.run().then((summary) => {
      this.active.delete(call);
      this.ended += 1;
      this.summaries.push(summary);
      this.emit('callEnded', summary);
      this.maybeDone();
    });
  }

  private maybeDone(): void {
    const allStarted = this.stopped || this.started >= this.options.calls;
    if (!allStarted || this.active.size > 0 || this.resolveRun === undefined) {
      return;
    }
    const resolve = this.resolveRun;
    this.resolveRun = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    resolve(this.report());
  }

  private report(): LoadReport {
    const wallMs = performance.now() - this.t0;
    const cpu = process.cpuUsage(this.cpu0);
    const elu = performance.eventLoopUtilization(this.elu0);
    const s = this.summaries;
    const count = (predicate: (x: CallSummary) => boolean): number => s.filter(predicate).length;
    const sum = (pick: (x: CallSummary) => number): number =>
      s.reduce((acc, x) => acc + pick(x), 0);
    const errors: Record<string, number> = {};
    const warnings: Record<string, number> = {};
    for (const summary of s) {
      if (summary.error !== undefined) {
        errors[summary.error.code] = (errors[summary.error.code] ?? 0) + 1;
      }
      if (summary.stream?.connectError !== undefined) {
        errors['stream_connect_failed'] = (errors['stream_connect_failed'] ?? 0) + 1;
      }
      for (const w of summary.warnings) {
        warnings[w] = (warnings[w] ?? 0) + 1;
      }
    }
    const report: LoadReport = {
      calls: {
        requested: this.options.calls,
        started: this.started,
        completed: count((x) => x.status === 'completed'),
        failed: count((x) => x.status === 'failed'),
        rejected: count((x) => x.status === 'rejected' || x.status === 'busy'),
        streamsOpened: count((x) => x.stream?.streamId !== undefined),
        streamFailures: count((x) => x.stream?.connectError !== undefined),
        peakConcurrent: this.peak,
      },
      wallMs,
      cpu: {
        userMs: cpu.user / 1000,
        systemMs: cpu.system / 1000,
        percentOfOneCore: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        peakPercentOfOneCore: this.peakCpu,
        cores: availableParallelism(),
        eventLoopUtilization: elu.utilization,
      },
      frames: {
        inboundSent: sum((x) => x.sent.inboundFrames),
        outboundSent: sum((x) => x.sent.outboundFrames),
        received: sum((x) => x.received.media),
        lateFrames: sum((x) => x.timing.lateFrames),
        gaps: sum((x) => x.timing.gaps),
      },
      percentiles: {
        webhookMs: percentiles(
          s.flatMap((x) => (x.webhook === undefined ? [] : [x.webhook.latencyMs])),
        ),
        connectMs: percentiles(
          s.flatMap((x) => (x.stream?.connectMs === undefined ? [] : [x.stream.connectMs])),
        ),
        firstMediaMs: percentiles(
          s.flatMap((x) => (x.timing.firstMediaMs === undefined ? [] : [x.timing.firstMediaMs])),
        ),
        jitterMs: percentiles(s.filter((x) => x.received.media > 0).map((x) => x.timing.jitterMs)),
        sendLatenessMs: histogramPercentiles(this.lateness),
        gapsPerCall: percentiles(s.map((x) => x.timing.gaps)),
      },
      errors,
      warnings,
    };
    if (this.options.keepSummaries ?? true) {
      report.summaries = s;
    }
    return report;
  }
}
