import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { RoomSession, RoomSessionFilter } from '../rooms/types.js';
import { paginate, whereTime } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import type { Database, RoomSessionTable } from './schema.js';

export class RoomSessionRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<RoomSessionTable>): Promise<void> {
    await this.#db.insertInto('room_sessions').values(row).execute();
  }

  async update(id: string, changes: Updateable<RoomSessionTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('room_sessions')
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async find(id: string): Promise<RoomSession | undefined> {
    const row = await this.#db
      .selectFrom('room_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toSession(row);
  }

  async list(filter: RoomSessionFilter, page: PageRequest): Promise<Page<RoomSession>> {
    let query = this.#db.selectFrom('room_sessions').selectAll();
    query = whereTime(query, 'created_at', filter.dateCreatedAt, 'filter[date_created_at]');
    query = whereTime(query, 'updated_at', filter.dateUpdatedAt, 'filter[date_updated_at]');
    query = whereTime(query, 'ended_at', filter.dateEndedAt, 'filter[date_ended_at]');
    if (filter.roomId !== undefined) {
      query = query.where('room_id', '=', filter.roomId);
    }
    if (filter.active !== undefined) {
      query = query.where('active', '=', filter.active ? 1 : 0);
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('created_at', 'desc').orderBy('id', 'desc'),
      toSession,
    );
  }

  /** Every session of the given rooms, newest first. */
  async listForRooms(roomIds: readonly string[]): Promise<RoomSession[]> {
    if (roomIds.length === 0) {
      return [];
    }
    const rows = await this.#db
      .selectFrom('room_sessions')
      .selectAll()
      .where('room_id', 'in', roomIds)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toSession);
  }
}

function toSession(row: Selectable<RoomSessionTable>): RoomSession {
  return {
    id: row.id,
    roomId: row.room_id,
    active: Boolean(row.active),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}
