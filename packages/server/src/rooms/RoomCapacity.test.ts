import { describe, expect, it } from 'vitest';
import { RoomCapacity } from './RoomCapacity.js';

describe('RoomCapacity', () => {
  const rooms = new Map([['r1', { maxParticipants: 3 }]]);
  const store = { find: (roomId: string) => Promise.resolve(rooms.get(roomId)) };

  it('counts connections and seats against max_participants', async () => {
    const capacity = new RoomCapacity(store);
    let connected = 1;
    capacity.countConnectedWith((roomId) => (roomId === 'r1' ? connected : 0));
    expect(await capacity.reserve('r1', 'call-a')).toBe('taken');
    expect(await capacity.hasRoomFor('r1')).toBe(true);
    expect(await capacity.reserve('r1', 'call-b')).toBe('taken');
    // 1 connection + 2 seats: full.
    expect(await capacity.hasRoomFor('r1')).toBe(false);
    expect(await capacity.reserve('r1', 'call-c')).toBe('full');
    expect(capacity.seats('r1')).toBe(2);
    // A holder keeps its seat when it asks again.
    expect(await capacity.reserve('r1', 'call-a')).toBe('taken');
    expect(capacity.holds('call-a')).toBe(true);

    capacity.release('call-a');
    capacity.release('call-a');
    expect(capacity.holds('call-a')).toBe(false);
    expect(capacity.seats('r1')).toBe(1);
    expect(await capacity.reserve('r1', 'call-c')).toBe('taken');
    connected = 0;
    expect(capacity.occupancy('r1')).toBe(2);
  });

  it('has no seat in a room that is gone', async () => {
    const capacity = new RoomCapacity(store);
    expect(await capacity.hasRoomFor('gone')).toBe(false);
    expect(await capacity.reserve('gone', 'call-a')).toBe('gone');
    expect(capacity.seats('gone')).toBe(0);
  });
});
