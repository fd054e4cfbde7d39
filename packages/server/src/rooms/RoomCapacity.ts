/** Where a room's `max_participants` is read (live rooms only). */
export interface CapacityRooms {
  find(roomId: string): Promise<{ maxParticipants: number } | undefined>;
}

/** What asking for a seat gave. */
export type SeatResult = 'taken' | 'full' | 'gone';

/**
 * Counts everyone in a room against its `max_participants`: the participants connected through
 * the room gateway (counted by the gateway) and the seats of phone calls, taken when a call's
 * stream claims it and given back when the call ends. The gateway asks {@link seats} before it
 * lets a browser in; the phone side asks {@link hasRoomFor} and {@link reserve}.
 */
export class RoomCapacity {
  readonly #rooms: CapacityRooms;
  #connected: (roomId: string) => number = () => 0;
  /** Room id → the holders (call ids) of its seats. */
  readonly #seats = new Map<string, Set<string>>();
  /** Holder → room id, for release. */
  readonly #holders = new Map<string, string>();

  constructor(rooms: CapacityRooms) {
    this.#rooms = rooms;
  }

  /** Tells how many gateway participants a room has now (the gateway, once it exists). */
  countConnectedWith(count: (roomId: string) => number): void {
    this.#connected = count;
  }

  /** The seats held in a room by participants that are not gateway connections. */
  seats(roomId: string): number {
    return this.#seats.get(roomId)?.size ?? 0;
  }

  /** Everyone in the room now, or on their way in. */
  occupancy(roomId: string): number {
    return this.#connected(roomId) + this.seats(roomId);
  }

  /** Whether one more participant fits; false for a room that is gone. */
  async hasRoomFor(roomId: string): Promise<boolean> {
    const room = await this.#rooms.find(roomId);
    return room !== undefined && this.occupancy(roomId) < room.maxParticipants;
  }

  /**
   * Takes a seat for `holder` (a call id) when one is free: `taken`, else `full`, or `gone` for a
   * room that no longer exists. A holder that has a seat keeps it.
   */
  async reserve(roomId: string, holder: string): Promise<SeatResult> {
    const room = await this.#rooms.find(roomId);
    // Counted after the lookup, with no await between the check and the taking.
    if (this.#holders.get(holder) === roomId) {
      return 'taken';
    }
    if (room === undefined) {
      return 'gone';
    }
    if (this.occupancy(roomId) >= room.maxParticipants) {
      return 'full';
    }
    let seats = this.#seats.get(roomId);
    if (seats === undefined) {
      seats = new Set();
      this.#seats.set(roomId, seats);
    }
    seats.add(holder);
    this.#holders.set(holder, roomId);
    return 'taken';
  }

  /** Whether `holder` has a seat. */
  holds(holder: string): boolean {
    return this.#holders.has(holder);
  }

  /** Gives a holder's seat back. Idempotent. */
  release(holder: string): void {
    const roomId = this.#holders.get(holder);
    if (roomId === undefined) {
      return;
    }
    this.#holders.delete(holder);
    const seats = this.#seats.get(roomId);
    seats?.delete(holder);
    if (seats?.size === 0) {
      this.#seats.delete(roomId);
    }
  }
}
