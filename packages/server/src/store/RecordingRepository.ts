import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type {
  RecordingFilter,
  RecordingStatus,
  RecordingType,
  RoomRecording,
} from '../recording/types.js';
import { paginate, whereTime } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import type { Database, RoomRecordingTable } from './schema.js';

export class RecordingRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<RoomRecordingTable>): Promise<void> {
    await this.#db.insertInto('room_recordings').values(row).execute();
  }

  async update(id: string, changes: Updateable<RoomRecordingTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('room_recordings')
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async find(id: string): Promise<RoomRecording | undefined> {
    const row = await this.#db
      .selectFrom('room_recordings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecording(row);
  }

  async findBySource(sourcePath: string): Promise<RoomRecording | undefined> {
    const row = await this.#db
      .selectFrom('room_recordings')
      .selectAll()
      .where('source_path', '=', sourcePath)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecording(row);
  }

  async list(filter: RecordingFilter, page: PageRequest): Promise<Page<RoomRecording>> {
    return paginate(
      this.#filtered(filter),
      page,
      (q) => q.orderBy('started_at', 'desc').orderBy('id', 'desc'),
      toRecording,
    );
  }

  /** Every recording matching the filter (for bulk deletion), oldest first. */
  async listAll(filter: RecordingFilter, limit: number): Promise<RoomRecording[]> {
    const rows = await this.#filtered(filter)
      .orderBy('started_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRecording);
  }

  /** A session's recordings in the order they started. */
  async listForSession(sessionId: string): Promise<RoomRecording[]> {
    const rows = await this.#db
      .selectFrom('room_recordings')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('started_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toRecording);
  }

  async listByStatus(status: RecordingStatus): Promise<RoomRecording[]> {
    const rows = await this.#db
      .selectFrom('room_recordings')
      .selectAll()
      .where('status', '=', status)
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map(toRecording);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('room_recordings')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  #filtered(filter: RecordingFilter) {
    let query = this.#db.selectFrom('room_recordings').selectAll();
    query = whereTime(query, 'started_at', filter.dateStartedAt, 'filter[date_started_at]');
    query = whereTime(query, 'ended_at', filter.dateEndedAt, 'filter[date_ended_at]');
    if (filter.roomId !== undefined) {
      query = query.where('room_id', '=', filter.roomId);
    }
    if (filter.participantId !== undefined) {
      query = query.where('participant_id', '=', filter.participantId);
    }
    if (filter.sessionId !== undefined) {
      query = query.where('session_id', '=', filter.sessionId);
    }
    if (filter.status !== undefined) {
      query = query.where('status', '=', filter.status);
    }
    if (filter.type !== undefined) {
      query = query.where('type', '=', filter.type);
    }
    if (filter.minDurationSecs !== undefined) {
      query = query.where('duration_ms', '>=', filter.minDurationSecs * 1000);
    }
    return query;
  }
}

function toRecording(row: Selectable<RoomRecordingTable>): RoomRecording {
  return {
    id: row.id,
    roomId: row.room_id,
    sessionId: row.session_id,
    participantId: row.participant_id,
    streamKey: row.stream_key,
    type: row.type as RecordingType,
    codec: row.codec,
    status: row.status as RecordingStatus,
    sourcePath: row.source_path,
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
