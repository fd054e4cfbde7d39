import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GatewayConnection, JanusParticipantIds } from './GatewayConnection.js';
import type { ModeratedGateway, ModerationEngine } from './GatewayModerator.js';
import { GatewayModerator } from './GatewayModerator.js';

const ROOM = '4a0c6a56-7f38-4b43-9a5e-6a7e1d2b8c11';

/** The parts of a connection the moderator uses. */
class FakeConnection {
  readonly roomId = ROOM;
  readonly participantId = 'alice';
  audioMuteLocked = false;
  closed = false;
  removedWith: number | undefined;
  closedWith: number | undefined;
  ids: JanusParticipantIds = {
    roster: 'roster-1',
    mixer: 'mixer-1',
    publishers: new Map([['self', { id: 'pub-1', audioMids: ['0'] }]]),
  };

  get janusIds(): JanusParticipantIds {
    return this.ids;
  }

  setAudioMuteLock(locked: boolean): void {
    this.audioMuteLocked = locked;
  }

  removeByModerator(graceMs: number): void {
    this.removedWith = graceMs;
  }

  close(code: number): void {
    this.closed = true;
    this.closedWith = code;
  }
}

function setup(options: { failKicks?: boolean } = {}) {
  const calls: string[] = [];
  const engine: ModerationEngine = {
    kick: (_room, plugin, id) => {
      calls.push(`kick ${plugin} ${id}`);
      return options.failKicks === true
        ? Promise.reject(new Error('janus is gone'))
        : Promise.resolve(true);
    },
    muteAudio: (_room, id, muted) => {
      calls.push(`${muted ? 'mute' : 'unmute'} ${id}`);
      return Promise.resolve(true);
    },
    moderateStream: (_room, publisherId, mid, muted) => {
      calls.push(`${muted ? 'moderate' : 'unmoderate'} ${publisherId}/${mid}`);
      return Promise.resolve(true);
    },
  };
  const connection = new FakeConnection();
  const closedRooms: string[] = [];
  const listeners = new Set<(connection: GatewayConnection) => void>();
  const gateway: ModeratedGateway = {
    on: (_event, listener) => listeners.add(listener),
    off: (_event, listener) => listeners.delete(listener),
    participantByRecord: (roomId, recordId) =>
      Promise.resolve(
        roomId === ROOM && recordId === 'alice-record'
          ? (connection as unknown as GatewayConnection)
          : undefined,
      ),
    closeRoom: (roomId) => {
      closedRooms.push(roomId);
    },
  };
  const moderator = new GatewayModerator({
    gateway,
    engine,
    logger: pino({ level: 'silent' }),
    kickCloseGraceMs: 1234,
  });
  const mediaChanged = async () => {
    for (const listener of listeners) {
      listener(connection as unknown as GatewayConnection);
    }
    // The moderator's work is queued; let it run.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { calls, connection, moderator, mediaChanged, closedRooms };
}

describe('GatewayModerator', () => {
  it('mutes every audio leg and audio stream of a participant, and locks its own unmute', async () => {
    const { calls, connection, moderator } = setup();
    expect(await moderator.setAudioMuted(ROOM, 'alice-record', true)).toBe(true);
    expect(connection.audioMuteLocked).toBe(true);
    expect(calls.sort()).toEqual(['moderate pub-1/0', 'mute mixer-1', 'mute roster-1']);
    expect(await moderator.setAudioMuted(ROOM, 'someone-else', true)).toBe(false);
  });

  it('mutes new legs and streams as they appear while the mute holds, and undoes it all on unmute', async () => {
    const { calls, connection, moderator, mediaChanged } = setup();
    await moderator.setAudioMuted(ROOM, 'alice-record', true);
    calls.length = 0;
    // A new mixer leg and a screen share with audio.
    connection.ids = {
      roster: 'roster-1',
      mixer: 'mixer-2',
      publishers: new Map([
        ['self', { id: 'pub-1', audioMids: ['0'] }],
        ['presentation', { id: 'pub-2', audioMids: ['0', '2'] }],
      ]),
    };
    await mediaChanged();
    expect(calls.sort()).toEqual(['moderate pub-2/0', 'moderate pub-2/2', 'mute mixer-2']);

    calls.length = 0;
    expect(await moderator.setAudioMuted(ROOM, 'alice-record', false)).toBe(true);
    expect(connection.audioMuteLocked).toBe(false);
    // The old leg too (the client still holds it); the roster stays muted as the SDK joined it.
    expect(calls.sort()).toEqual([
      'unmoderate pub-1/0',
      'unmoderate pub-2/0',
      'unmoderate pub-2/2',
      'unmute mixer-1',
      'unmute mixer-2',
    ]);
    calls.length = 0;
    await mediaChanged();
    expect(calls).toEqual([]);
  });

  it('kicks the roster first, then the mixer leg and publishers, and leaves closing to the client for a grace', async () => {
    const { calls, connection, moderator } = setup();
    expect(await moderator.kick(ROOM, 'alice-record')).toBe(true);
    expect(calls[0]).toBe('kick audiobridge roster-1');
    expect(calls.slice(1).sort()).toEqual(['kick audiobridge mixer-1', 'kick videoroom pub-1']);
    expect(connection.removedWith).toBe(1234);
    expect(connection.closed).toBe(false);
    expect(await moderator.kick(ROOM, 'nobody')).toBe(false);
  });

  it('closes a kicked participant at once when Janus cannot kick it', async () => {
    const { connection, moderator } = setup({ failKicks: true });
    expect(await moderator.kick(ROOM, 'alice-record')).toBe(true);
    expect(connection.closedWith).toBe(4000);
  });

  it('ends a room by closing its connections, and stops following media once closed', async () => {
    const { calls, connection, moderator, mediaChanged, closedRooms } = setup();
    await moderator.endRoom(ROOM);
    expect(closedRooms).toEqual([ROOM]);
    connection.audioMuteLocked = true;
    moderator.close();
    moderator.close();
    await mediaChanged();
    expect(calls).toEqual([]);
  });

  it('mutes and unmutes a phone caller by its AudioBridge leg and holds back its talking meanwhile', async () => {
    const { calls, moderator, closedRooms } = setup();
    const ended: string[] = [];
    const phone = (participantId: string, janusId: string | undefined, state = 'live') => ({
      roomId: ROOM,
      participantId,
      janusId,
      state,
      end: (reason: string) => {
        ended.push(`${participantId} ${reason}`);
        return Promise.resolve();
      },
    });
    const phoneCalls = [phone('bob-record', 'leg-1'), phone('carol-record', undefined, 'joining')];
    moderator.attachPhones({ calls: phoneCalls });
    const talking = { audiobridge: 'talking', room: ROOM, id: 'leg-1' };
    expect(moderator.allowsPhoneEvent(ROOM, talking)).toBe(true);

    expect(await moderator.setAudioMuted(ROOM, 'bob-record', true)).toBe(true);
    expect(calls).toEqual(['mute leg-1']);
    expect(moderator.allowsPhoneEvent(ROOM, talking)).toBe(false);
    expect(moderator.allowsPhoneEvent(ROOM, { ...talking, audiobridge: 'stopped-talking' })).toBe(
      true,
    );
    // A caller not in the room yet has no leg to mute.
    expect(await moderator.setAudioMuted(ROOM, 'carol-record', true)).toBe(false);

    expect(await moderator.setAudioMuted(ROOM, 'bob-record', false)).toBe(true);
    expect(calls).toEqual(['mute leg-1', 'unmute leg-1']);
    expect(moderator.allowsPhoneEvent(ROOM, talking)).toBe(true);

    // Ending the session ends its calls, with that reason.
    await moderator.endRoom(ROOM);
    expect(closedRooms).toEqual([ROOM]);
    expect(ended).toEqual(['bob-record session-ended', 'carol-record session-ended']);
  });
});
