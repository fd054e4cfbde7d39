import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayTestServer } from '../gateway/support.js';
import { startGatewayServer } from '../gateway/support.js';
import { connectorInto } from './support.js';
import { apiClient } from '../support/testServer.js';

// The phone bridge under load, with a real Janus and phone-sim: 50 callers in 10 rooms talk for
// 60 s. Frames are counted by their numbers (Telnyx's chunk counter coming in, Janus's RTP
// sequence numbers going out), never by when they arrived, so a busy machine may add delay but
// not fail the count: a frame is dropped only when the bridge skipped or discarded it. Frames it
// cut from a backlog during a pause (silence) are counted apart: not heard, but bounded too.

const ROOMS = 10;
const CALLS_PER_ROOM = 5;
const CALLS = ROOMS * CALLS_PER_ROOM;
const DURATION_MS = 60_000;
const MAX_DROPPED_PERCENT = 0.1;
/**
 * Frames the bridge may cut in silence (a backlog worked off during a pause, such as the room's
 * mix going quiet while Janus waits for late input): not heard, so not counted as dropped above,
 * but bounded.
 */
const MAX_CUT_IN_SILENCE_PERCENT = 1;
/** Frames still on their way when a caller hangs up (the bridge sends until it sees `stop`). */
const IN_FLIGHT_AT_HANGUP = 5;

interface CallerResult {
  status: string;
  error: string | undefined;
  closedBy: string | undefined;
  closeCode: number | undefined;
  inboundSent: number;
  mediaReceived: number;
  gaps: number;
  lateFrames: number;
}

interface Reorder {
  late: number;
  overflow: number;
  quietTrims: number;
  missing: number;
}

/** Runs the callers in a child process; resolves with one result per call. */
function runCallers(urls: string[]): Promise<{ calls: CallerResult[]; cpuPercent: number }> {
  const child = fork(fileURLToPath(new URL('./bridgeLoadCallers.mjs', import.meta.url)), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Plain Node with the built phone-sim, not the test runner's options (it loads sources).
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) =>
      resolve(message as { calls: CallerResult[]; cpuPercent: number }),
    );
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the callers' process exited with ${code}`)));
    child.send({ urls, callsPerRoom: CALLS_PER_ROOM, durationMs: DURATION_MS });
  });
}

/** Frames with sound in them that the bridge did not pass on (by number). */
const dropped = (r: Reorder): number => r.missing + r.overflow + r.late;

describe('the phone bridge under load', () => {
  let t: GatewayTestServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    t = await startGatewayServer();
    api = apiClient(t.url, t.apiKey);
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`carries ${CALLS} calls in ${ROOMS} rooms for 60 s, dropping at most ${MAX_DROPPED_PERCENT} % of the frames with sound each way, and ends them all cleanly`, async () => {
    const urls: string[] = [];
    for (let i = 0; i < ROOMS; i += 1) {
      const roomId = (await api('POST', '/v2/rooms', {})).body.data.id as string;
      urls.push(await connectorInto(api, t.url, roomId));
    }

    const callers = await runCallers(urls);

    // Every caller talked for the whole minute and hung up itself, and was not cut off.
    expect(callers.calls).toHaveLength(CALLS);
    const unclean = callers.calls.filter(
      (c) => c.status !== 'completed' || c.closedBy !== 'simulator' || c.closeCode !== 1000,
    );
    expect(unclean, 'calls that did not end with the caller hanging up').toEqual([]);

    // The bridge ended each call as a hang-up by the caller, and so did the call records.
    await expect
      .poll(() => t.logs.filter((l) => l.msg === 'phone bridge: call ended').length, {
        timeout: 15_000,
      })
      .toBe(CALLS);
    expect(t.server.phoneBridge!.calls).toHaveLength(0);
    const ended = t.logs.filter((l) => l.msg === 'phone bridge: call ended');
    expect(new Set(ended.map((l) => l.reason))).toEqual(new Set(['caller-hangup']));
    const records = (await api('GET', '/v2/sip/call?perPage=100')).body.data as any[];
    expect(records).toHaveLength(CALLS);
    expect(
      records.filter((c) => c.status !== 'ended' || c.hangupReason !== 'caller-hangup'),
    ).toEqual([]);

    const sum = (pick: (line: Record<string, any>) => number): number =>
      ended.reduce((total, line) => total + pick(line), 0);
    // Caller → room: frames taken from the stream once the caller was in the room, by chunk.
    const fromCallers = sum((l) => l.framesFromCaller - l.framesBeforeJoin);
    const droppedFromCallers = sum((l) => dropped(l.callerReorder) + l.overloadedFromCaller);
    // Room → caller: Janus's packets by RTP sequence number, and frames the socket refused.
    const fromRoom = sum((l) => l.packetsFromRoom);
    const droppedFromRoom = sum(
      (l) => dropped(l.roomReorder) + l.overloadedFromRoom + l.droppedToCaller,
    );
    const overloaded = {
      caller: sum((l) => l.overloadedFromCaller),
      room: sum((l) => l.overloadedFromRoom),
    };
    // When the machine is too busy for real time, the message says so.
    const busy =
      `; the bridge's clock skipped ${t.server.phoneBridge!.stats().skippedTicks} ticks, ` +
      `the callers sent ${callers.calls.reduce((n, c) => n + c.lateFrames, 0)} frames late`;
    const toCallers = sum((l) => l.framesToCaller);
    const received = callers.calls.reduce((total, c) => total + c.mediaReceived, 0);
    const sent = callers.calls.reduce((total, c) => total + c.inboundSent, 0);
    const percent = (part: number, whole: number): number => (part / whole) * 100;
    const callerReorder = ended.map((l) => l.callerReorder as Reorder).reduce(addUp);
    const roomReorder = ended.map((l) => l.roomReorder as Reorder).reduce(addUp);
    const figures = {
      callerToRoom: {
        frames: fromCallers,
        dropped: droppedFromCallers,
        ...callerReorder,
        overloaded: overloaded.caller,
      },
      roomToCaller: {
        frames: fromRoom,
        dropped: droppedFromRoom,
        ...roomReorder,
        overloaded: overloaded.room,
      },
      callersSent: sent,
      bridgeSentToCallers: toCallers,
      callersReceived: received,
      callersHeardGaps: callers.calls.reduce((total, c) => total + c.gaps, 0),
      callersLateFrames: callers.calls.reduce((total, c) => total + c.lateFrames, 0),
      callersCpuPercent: callers.cpuPercent,
      bridge: t.server.phoneBridge!.stats(),
    };
    console.log('bridge load', JSON.stringify(figures));

    // A minute of 50 calls is 150 000 frames each way.
    expect(fromCallers).toBeGreaterThan(CALLS * 50 * 55);
    expect(fromRoom).toBeGreaterThan(CALLS * 50 * 55);
    expect(
      percent(droppedFromCallers, fromCallers),
      `caller → room: the bridge dropped ${droppedFromCallers} of ${fromCallers} frames ` +
        `(by chunk: ${JSON.stringify(callerReorder)}; workers overloaded: ${overloaded.caller}${busy})`,
    ).toBeLessThanOrEqual(MAX_DROPPED_PERCENT);
    expect(
      percent(droppedFromRoom, fromRoom),
      `room → caller: the bridge dropped ${droppedFromRoom} of ${fromRoom} packets from Janus ` +
        `(by RTP sequence: ${JSON.stringify(roomReorder)}, ` +
        `workers overloaded: ${overloaded.room}, refused by the socket: ` +
        `${sum((l) => l.droppedToCaller)}${busy})`,
    ).toBeLessThanOrEqual(MAX_DROPPED_PERCENT);
    // Frames cut in pauses carry no sound; there may not be many of them either.
    expect(
      percent(callerReorder.quietTrims, fromCallers),
      'caller → room: frames cut from a backlog during a pause',
    ).toBeLessThanOrEqual(MAX_CUT_IN_SILENCE_PERCENT);
    expect(
      percent(roomReorder.quietTrims, fromRoom),
      'room → caller: frames cut from a backlog during a pause',
    ).toBeLessThanOrEqual(MAX_CUT_IN_SILENCE_PERCENT);
    // Every frame the bridge sent reached its caller, but for those on the way at the hang-up.
    expect(received, 'frames the callers got of those the bridge sent').toBeGreaterThanOrEqual(
      toCallers - CALLS * IN_FLIGHT_AT_HANGUP,
    );
    expect(received).toBeLessThanOrEqual(toCallers);
    // And every frame a caller sent reached the bridge (TCP), before or after joining.
    expect(sum((l) => l.framesFromCaller)).toBe(sent);
  }, 150_000);
});

function addUp(a: Reorder, b: Reorder): Reorder {
  return {
    late: a.late + b.late,
    overflow: a.overflow + b.overflow,
    quietTrims: a.quietTrims + b.quietTrims,
    missing: a.missing + b.missing,
  };
}
