import type { Percentiles } from './Histogram.js';
import type { LoadReport } from './LoadRunner.js';
import type { CallSummary } from './SimulatedCall.js';

function ms(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(digits)} ms`;
}

function pct(p: Percentiles, digits = 1): string {
  if (p.count === 0) {
    return '-';
  }
  const f = (v: number): string => v.toFixed(digits);
  return `p50 ${f(p.p50)}  p90 ${f(p.p90)}  p95 ${f(p.p95)}  p99 ${f(p.p99)}  max ${f(p.max)}`;
}

/** A human-readable summary of one call (several lines, no trailing newline). */
export function formatCallSummary(s: CallSummary): string {
  const lines: string[] = [];
  lines.push(`call ${s.callSid}  ${s.from} -> ${s.to}  ${s.status} (hung up by ${s.hangupSource})`);
  if (s.error !== undefined) {
    lines.push(`  error     ${s.error.code}: ${s.error.message}`);
  }
  if (s.webhook !== undefined) {
    lines.push(
      `  webhook   ${s.webhook.method} ${s.webhook.url} -> HTTP ${s.webhook.status} in ${ms(s.webhook.latencyMs)}${s.webhook.failover ? ' (failover)' : ''}`,
    );
  }
  if (s.verbs.length > 0) {
    lines.push(`  TeXML     ${s.verbs.join(', ')}`);
  }
  const st = s.stream;
  if (st !== undefined) {
    lines.push(`  stream    ${st.url}`);
    lines.push(
      `            track ${st.track}, codec ${st.codec}, bidirectional ${st.bidirectionalMode}/${st.bidirectionalCodec}` +
        (Object.keys(st.customParameters).length > 0
          ? `, parameters ${JSON.stringify(st.customParameters)}`
          : ''),
    );
    if (st.connectError !== undefined) {
      lines.push(`            NOT OPENED: ${st.connectError}`);
    } else {
      lines.push(
        `            opened in ${ms(st.connectMs)}, open ${(st.durationMs / 1000).toFixed(2)} s, closed by ${st.closedBy ?? '-'}` +
          (st.closeCode === undefined
            ? ''
            : ` (code ${st.closeCode}${st.closeReason ? ` "${st.closeReason}"` : ''})`),
      );
    }
    if (st.reuseRef !== undefined) {
      lines.push(`            reused ref: ${st.reuseRef.outcome} (${st.reuseRef.detail})`);
    }
  }
  lines.push(`  duration  ${(s.durationMs / 1000).toFixed(2)} s`);
  lines.push(
    `  sent      ${s.sent.inboundFrames} inbound frames, ${s.sent.outboundFrames} outbound, ${s.sent.dtmf} dtmf, ` +
      `${s.sent.marks} marks echoed, ${s.sent.errors} errors (${s.sent.messages} messages)`,
  );
  lines.push(
    `  received  ${s.received.media} media (${s.received.bytes} bytes), ${s.received.marks} marks, ${s.received.clears} clears, ` +
      `${s.received.malformed} malformed, ${s.received.invalidMedia} invalid media, ${s.received.unknownEvents} unknown`,
  );
  lines.push(
    `  timing    ${s.timing.lateFrames} late frames (max ${ms(s.timing.maxLatenessMs)}), jitter ${ms(s.timing.jitterMs)}, ` +
      `${s.timing.gaps} gaps (${s.timing.gapMs} ms), first audio back after ${ms(s.timing.firstMediaMs)}`,
  );
  const faults = Object.entries(s.faults).filter(([, n]) => n > 0);
  if (faults.length > 0) {
    lines.push(`  faults    ${faults.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  for (const warning of s.warnings) {
    lines.push(`  warning   ${warning}`);
  }
  return lines.join('\n');
}

/** A human-readable summary of a load run. */
export function formatLoadReport(r: LoadReport): string {
  const c = r.calls;
  const lines = [
    `load: ${c.started}/${c.requested} calls, ${c.completed} completed, ${c.failed} failed, ${c.rejected} rejected; ` +
      `${c.streamsOpened} streams opened, ${c.streamFailures} failed; peak ${c.peakConcurrent} concurrent; ${(r.wallMs / 1000).toFixed(1)} s`,
    `  frames        ${r.frames.inboundSent} inbound sent, ${r.frames.outboundSent} outbound sent, ${r.frames.received} received, ` +
      `${r.frames.lateFrames} late, ${r.frames.gaps} gaps`,
    `  webhook ms    ${pct(r.percentiles.webhookMs)}`,
    `  connect ms    ${pct(r.percentiles.connectMs)}`,
    `  first audio   ${pct(r.percentiles.firstMediaMs)}`,
    `  jitter ms     ${pct(r.percentiles.jitterMs)}`,
    `  send late ms  ${pct(r.percentiles.sendLatenessMs)}`,
    `  gaps/call     ${pct(r.percentiles.gapsPerCall, 0)}`,
    `  simulator CPU ${r.cpu.percentOfOneCore.toFixed(1)}% of one core on average, peak ${r.cpu.peakPercentOfOneCore.toFixed(1)}% ` +
      `(${r.cpu.cores} cores; user ${(r.cpu.userMs / 1000).toFixed(1)} s, system ${(r.cpu.systemMs / 1000).toFixed(1)} s; ` +
      `event loop ${(r.cpu.eventLoopUtilization * 100).toFixed(0)}% busy)`,
  ];
  for (const [code, n] of Object.entries(r.errors)) {
    lines.push(`  error         ${code}: ${n} calls`);
  }
  const warnings = Object.entries(r.warnings).sort((a, b) => b[1] - a[1]);
  for (const [warning, n] of warnings.slice(0, 10)) {
    lines.push(`  warning       ${warning} (${n} calls)`);
  }
  if (warnings.length > 10) {
    lines.push(`  warning       … and ${warnings.length - 10} more`);
  }
  return lines.join('\n');
}
