import { describe, expect, it } from 'vitest';
import { GatewayRefusal } from './GatewayRefusal.js';
import { GatewayRoom } from './GatewayRoom.js';

const ROOM = '4a0c6a56-7f38-4b43-9a5e-6a7e1d2b8c11';

const member = (name: string) => ({ name, participantId: undefined });

describe('GatewayRoom participant ids', () => {
  it('hands a live id over to a newer connection and returns the one it replaces', () => {
    const room = new GatewayRoom(ROOM, 5);
    const [old, fresh] = [member('old'), member('new')];
    expect(room.claim('alice', old)).toBeUndefined();
    expect(room.claim('alice', old)).toBeUndefined();
    expect(room.claim('alice', fresh)).toBe(old);
    expect(room.participant('alice')).toBe(fresh);
    // The old connection closing later does not free the id the new one holds.
    room.release('alice', old);
    expect(room.participant('alice')).toBe(fresh);
    expect(room.participantIds).toEqual(['alice']);
  });

  it('lets a connection take over its own id in a full room, but no new id', () => {
    const room = new GatewayRoom(ROOM, 2, () => 1);
    room.claim('alice', member('a'));
    expect(room.claim('alice', member('a2'))).toBeDefined();
    expect(() => room.claim('bob', member('b'))).toThrow(
      'room is full: it allows 2 participants (max_participants)',
    );
  });

  it('refuses an id a moderator removed until the session ends', () => {
    const room = new GatewayRoom(ROOM, 5);
    const kicked = member('kicked');
    room.claim('mallory', kicked);
    room.markRemoved('mallory');
    // Not even a takeover of the kicked connection, which the gateway closes shortly.
    expect(() => room.claim('mallory', member('takeover'))).toThrow(/removed/);
    expect(room.participant('mallory')).toBe(kicked);
    room.release('mallory', kicked);
    let refusal: unknown;
    try {
      room.claim('mallory', member('again'));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(GatewayRefusal);
    expect(refusal).toMatchObject({
      status: 403,
      close: undefined,
      message: 'participant mallory was removed from the room by a moderator',
    });
    room.forgetRemoved();
    expect(room.claim('mallory', member('next session'))).toBeUndefined();
  });
});
