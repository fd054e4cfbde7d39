import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { RoomParticipant, RoomParticipantFilter } from '../rooms/types.js';
import { paginate, whereTime } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import type { Database, RoomParticipantTable } from './schema.js';

export class RoomParticipantRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<RoomParticipantTable>): Promise<void> {
    await this.#db.insertInto('room_participants').values(row).execute();
  }

  async update(id: string, changes: Updateable<RoomParticipantTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('room_participants')
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async find(id: string): Promise<RoomParticipant | undefined> {
    const row = await this.#db
      .selectFrom('room_participants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toParticipant(row);
  }

  async list(filter: RoomParticipantFilter, page: PageRequest): Promise<Page<RoomParticipant>> {
    let query = this.#db.selectFrom('room_participants').selectAll();
    query = whereTime(query, 'joined_at', filter.dateJoinedAt, 'filter[date_joined_at]');
    query = whereTime(query, 'updated_at', filter.dateUpdatedAt, 'filter[date_updated_at]');
    query = whereTime(query, 'left_at', filter.dateLeftAt, 'filter[date_left_at]');
    if (filter.sessionId !== undefined) {
      query = query.where('session_id', '=', filter.sessionId);
    }
    if (filter.context !== undefined) {
      query = query.where('context', '=', filter.context);
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('joined_at', 'desc').orderBy('id', 'desc'),
      toParticipant,
    );
  }

  /** Every participant of the given sessions, newest first. */
  async listForSessions(sessionIds: readonly string[]): Promise<RoomParticipant[]> {
    if (sessionIds.length === 0) {
      return [];
    }
    const rows = await this.#db
      .selectFrom('room_participants')
      .selectAll()
      .where('session_id', 'in', sessionIds)
      .orderBy('joined_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toParticipant);
  }
}

function toParticipant(row: Selectable<RoomParticipantTable>): RoomParticipant {
  return {
    id: row.id,
    sessionId: row.session_id,
    context: row.context,
    joinedAt: row.joined_at,
    updatedAt: row.updated_at,
    leftAt: row.left_at,
  };
}
