import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { Call, CallFilter, CallStatus, ConnectorProvider } from '../telephony/types.js';
import { paginate } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import { escapeLike } from './RoutingRuleRepository.js';
import type { Database, TelephonyCallTable } from './schema.js';

type CallRow = Selectable<TelephonyCallTable>;

/** Statuses of calls that have not ended yet. */
export const OPEN_CALL_STATUSES: CallStatus[] = ['incoming', 'answered'];

export class CallRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<TelephonyCallTable>): Promise<void> {
    await this.#db.insertInto('telephony_calls').values(row).execute();
  }

  async find(id: string): Promise<Call | undefined> {
    const row = await this.#db
      .selectFrom('telephony_calls')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toCall(row);
  }

  async findByRefHash(refHash: string): Promise<Call | undefined> {
    const row = await this.#db
      .selectFrom('telephony_calls')
      .selectAll()
      .where('ref_hash', '=', refHash)
      .executeTakeFirst();
    return row === undefined ? undefined : toCall(row);
  }

  /** The newest call Telnyx identifies by `providerCallId` on this connector. */
  async findByProviderCallId(
    connectorId: string,
    providerCallId: string,
  ): Promise<Call | undefined> {
    const row = await this.#db
      .selectFrom('telephony_calls')
      .selectAll()
      .where('connector_id', '=', connectorId)
      .where('provider_call_id', '=', providerCallId)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row === undefined ? undefined : toCall(row);
  }

  /**
   * Marks the call with this ref claimed, if it is still waiting and its claim has not expired
   * at `now`. Exactly one of any number of concurrent claims (on any node) succeeds.
   */
  async claim(refHash: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('telephony_calls')
      .set({ claimed_at: now, last_seen_at: now, updated_at: now })
      .where('ref_hash', '=', refHash)
      .where('status', '=', 'incoming')
      .where('claimed_at', 'is', null)
      .where('ref_expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Applies `changes` if the call's status is one of `from`; returns whether it did. This keeps
   * every transition single even when the reaper, the API and the bridge race.
   */
  async transition(
    id: string,
    from: CallStatus[],
    changes: Updateable<TelephonyCallTable>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('telephony_calls')
      .set(changes)
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Applies `changes` to a call still `incoming` and unclaimed; returns whether it did. */
  async transitionUnclaimed(id: string, changes: Updateable<TelephonyCallTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('telephony_calls')
      .set(changes)
      .where('id', '=', id)
      .where('status', '=', 'incoming')
      .where('claimed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Records a sign of life from the bridge of an open call. */
  async touch(id: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('telephony_calls')
      .set({ last_seen_at: now })
      .where('id', '=', id)
      .where('status', 'in', OPEN_CALL_STATUSES)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Waiting calls whose claim expired before `now`. */
  async listUnclaimedExpired(now: string, limit: number): Promise<Call[]> {
    const rows = await this.#db
      .selectFrom('telephony_calls')
      .selectAll()
      .where('status', '=', 'incoming')
      .where('claimed_at', 'is', null)
      .where('ref_expires_at', '<=', now)
      .orderBy('ref_expires_at')
      .limit(limit)
      .execute();
    return rows.map(toCall);
  }

  /**
   * Open calls that were claimed but not heard of since `silentSince`, or that started before
   * `startedBefore` (longer than any call may last).
   */
  async listStale(silentSince: string, startedBefore: string, limit: number): Promise<Call[]> {
    const rows = await this.#db
      .selectFrom('telephony_calls')
      .selectAll()
      .where('status', 'in', OPEN_CALL_STATUSES)
      .where((eb) =>
        eb.or([
          eb.and([eb('claimed_at', 'is not', null), eb('last_seen_at', '<', silentSince)]),
          eb('created_at', '<', startedBefore),
        ]),
      )
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toCall);
  }

  async list(filter: CallFilter, page: PageRequest): Promise<Page<Call>> {
    let query = this.#db.selectFrom('telephony_calls').selectAll();
    if (filter.id !== undefined) {
      query = query.where('id', '=', filter.id);
    }
    if (filter.roomId !== undefined) {
      query = query.where('room_id', '=', filter.roomId);
    }
    if (filter.sessionId !== undefined) {
      query = query.where('session_id', '=', filter.sessionId);
    }
    if (filter.connectorId !== undefined) {
      query = query.where('connector_id', '=', filter.connectorId);
    }
    if (filter.ruleId !== undefined) {
      query = query.where('rule_id', '=', filter.ruleId);
    }
    if (filter.statuses !== undefined && filter.statuses.length > 0) {
      query = query.where('status', 'in', filter.statuses);
    }
    if (filter.startedFrom !== undefined) {
      query = query.where('created_at', '>=', filter.startedFrom);
    }
    if (filter.startedTo !== undefined) {
      query = query.where('created_at', '<=', filter.startedTo);
    }
    if (filter.search !== undefined && filter.search !== '') {
      const pattern = `%${escapeLike(filter.search)}%`;
      const like = sql<string>`${pattern} escape '\\'`;
      query = query.where((eb) =>
        eb.or([
          eb('from_number', 'like', like),
          eb('to_number', 'like', like),
          eb('room_id', 'like', like),
        ]),
      );
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('created_at', 'desc').orderBy('id', 'desc'),
      toCall,
    );
  }
}

function toCall(row: CallRow): Call {
  return {
    id: row.id,
    connectorId: row.connector_id,
    ruleId: row.rule_id,
    roomId: row.room_id,
    sessionId: row.session_id,
    participantId: row.participant_id,
    direction: 'inbound',
    provider: row.provider as ConnectorProvider,
    from: row.from_number,
    to: row.to_number,
    callerName: row.caller_name,
    hidePhoneNumber: row.hide_phone_number === 1,
    agentId: row.agent_id,
    agentMetadata:
      row.agent_metadata === null
        ? null
        : (JSON.parse(row.agent_metadata) as Record<string, unknown>),
    region: row.region,
    status: row.status as CallStatus,
    hangupReason: row.hangup_reason,
    startedAt: row.created_at,
    claimExpiresAt: row.ref_expires_at,
    claimedAt: row.claimed_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    providerCallId: row.provider_call_id,
    providerAccountId: row.provider_account_id,
    providerConnectionId: row.provider_connection_id,
    updatedAt: row.updated_at,
  };
}
