import { openRoom } from '../initialize.js';
import type { Room } from '../Room.js';
import type { Events, InitializeOptions } from '../types.js';
import { RoomEvent } from '../types.js';
import type { FakeJanus } from './FakeJanus.js';

/** An event as the app saw it; the state argument is replaced by `'<state>'`. */
export interface Recorded {
  name: keyof Events;
  args: unknown[];
}

/** Every event a room emits, in order (without `state_changed` unless asked). */
export function recordEvents(room: Room, withStateChanged = false): Recorded[] {
  const events: Recorded[] = [];
  for (const name of Object.values(RoomEvent)) {
    if (name === 'state_changed' && !withStateChanged) {
      continue;
    }
    room.on(name, (...args: unknown[]) => {
      events.push({ name, args: args.map((arg) => (isState(arg) ? '<state>' : arg)) });
    });
  }
  return events;
}

function isState(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'localParticipantId' in value &&
    'participants' in value
  );
}

/** Polls `predicate` until it holds. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error('waitUntil: timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets queued frames and timers run. */
export function settle(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const ROOM_ID = 'a4a8b1f6-1d3c-4a57-9e0e-3c7f7e2b9d10';

/** `initialize()` against FakeJanus, with signalling timings short enough for tests. */
export function initializeFake(
  janus: FakeJanus,
  options: Partial<InitializeOptions> = {},
): Promise<Room> {
  return openRoom(
    {
      roomId: ROOM_ID,
      clientToken: 'token-1',
      logLevel: 'OFF',
      reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 },
      ...options,
    },
    janus.platform(),
    { keepaliveIntervalMs: 40, keepaliveTimeoutMs: 150, requestTimeoutMs: 2_000 },
  );
}

/** `initialize()` and `connect()`. */
export async function joinFake(
  janus: FakeJanus,
  options: Partial<InitializeOptions> = {},
): Promise<Room> {
  const room = await initializeFake(janus, options);
  await room.connect();
  return room;
}
