import type { Room } from '../rooms/types.js';
import type { Store } from '../store/Store.js';

/**
 * The live room a telephony setting names: by id first, then by unique_name (so a connector can
 * say `"defaultRoomId": "support-line"` and keep working when that room is recreated).
 */
export async function findRoomByIdOrName(store: Store, ref: string): Promise<Room | undefined> {
  return (await store.rooms.find(ref)) ?? (await store.rooms.findByUniqueName(ref));
}
