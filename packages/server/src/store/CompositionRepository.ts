import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type {
  CompositionFilter,
  CompositionStatus,
  RoomComposition,
  VideoRegion,
} from '../recording/types.js';
import { paginate, whereTime } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import type { Database, RoomCompositionTable } from './schema.js';

export class CompositionRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<RoomCompositionTable>): Promise<void> {
    await this.#db.insertInto('room_compositions').values(row).execute();
  }

  async update(id: string, changes: Updateable<RoomCompositionTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('room_compositions')
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Moves a composition from one status to another; false if it was not in `from`. */
  async transition(
    id: string,
    from: CompositionStatus,
    changes: Updateable<RoomCompositionTable>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('room_compositions')
      .set(changes)
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async find(id: string): Promise<RoomComposition | undefined> {
    const row = await this.#db
      .selectFrom('room_compositions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toComposition(row);
  }

  async list(filter: CompositionFilter, page: PageRequest): Promise<Page<RoomComposition>> {
    let query = this.#db.selectFrom('room_compositions').selectAll();
    query = whereTime(query, 'created_at', filter.dateCreatedAt, 'filter[date_created_at]');
    if (filter.sessionId !== undefined) {
      query = query.where('session_id', '=', filter.sessionId);
    }
    if (filter.status !== undefined) {
      query = query.where('status', '=', filter.status);
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('created_at', 'desc').orderBy('id', 'desc'),
      toComposition,
    );
  }

  /** Compositions in a status, oldest first (the queue's order). */
  async listByStatus(status: CompositionStatus, limit: number): Promise<RoomComposition[]> {
    const rows = await this.#db
      .selectFrom('room_compositions')
      .selectAll()
      .where('status', '=', status)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toComposition);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('room_compositions')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toComposition(row: Selectable<RoomCompositionTable>): RoomComposition {
  return {
    id: row.id,
    roomId: row.room_id,
    sessionId: row.session_id,
    status: row.status as CompositionStatus,
    format: row.format,
    resolution: row.resolution,
    videoLayout: JSON.parse(row.video_layout) as Record<string, VideoRegion>,
    webhookEventUrl: row.webhook_event_url,
    webhookEventFailoverUrl: row.webhook_event_failover_url,
    webhookTimeoutSecs: row.webhook_timeout_secs === null ? null : Number(row.webhook_timeout_secs),
    progress: Number(row.progress),
    filePath: row.file_path,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    attempts: Number(row.attempts),
    error: row.error,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
