import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Room, RoomFilter } from '../rooms/types.js';
import { paginate, whereTime } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import type { Database, RoomTable } from './schema.js';

type RoomRow = Selectable<RoomTable> & { active_session_id: string | null };

export class RoomRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  #live() {
    return this.#db
      .selectFrom('rooms')
      .selectAll('rooms')
      .select((eb) =>
        eb
          .selectFrom('room_sessions')
          .select('room_sessions.id')
          .whereRef('room_sessions.room_id', '=', 'rooms.id')
          .where('room_sessions.active', '=', 1)
          .orderBy('room_sessions.created_at', 'desc')
          .limit(1)
          .as('active_session_id'),
      )
      .where('rooms.deleted_at', 'is', null);
  }

  async insert(row: Insertable<RoomTable>): Promise<void> {
    await this.#db.insertInto('rooms').values(row).execute();
  }

  /** A room that has not been deleted. */
  async find(id: string): Promise<Room | undefined> {
    const row = await this.#live().where('rooms.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRoom(row);
  }

  async findByUniqueName(uniqueName: string): Promise<Room | undefined> {
    const row = await this.#live().where('rooms.unique_name', '=', uniqueName).executeTakeFirst();
    return row === undefined ? undefined : toRoom(row);
  }

  async list(filter: RoomFilter, page: PageRequest): Promise<Page<Room>> {
    let query = this.#live();
    query = whereTime(query, 'rooms.created_at', filter.dateCreatedAt, 'filter[date_created_at]');
    query = whereTime(query, 'rooms.updated_at', filter.dateUpdatedAt, 'filter[date_updated_at]');
    if (filter.uniqueName !== undefined) {
      query = query.where('rooms.unique_name', '=', filter.uniqueName);
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('rooms.created_at', 'desc').orderBy('rooms.id', 'desc'),
      toRoom,
    );
  }

  /** Changes a live room; returns false when there is none with this id. */
  async update(id: string, changes: Updateable<RoomTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('rooms')
      .set(changes)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Marks a live room deleted; returns false when there is none with this id. */
  async markDeleted(id: string, at: string): Promise<boolean> {
    return this.update(id, { deleted_at: at, updated_at: at });
  }
}

function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    uniqueName: row.unique_name,
    maxParticipants: row.max_participants,
    enableRecording: Boolean(row.enable_recording),
    webhookEventUrl: row.webhook_event_url,
    webhookEventFailoverUrl: row.webhook_event_failover_url,
    webhookTimeoutSecs: row.webhook_timeout_secs,
    activeSessionId: row.active_session_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
