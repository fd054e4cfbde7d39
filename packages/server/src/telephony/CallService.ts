import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  ErrorCode,
  InvalidStateError,
  NotFoundError,
  PalaverError,
  ValidationError,
} from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import { CallRepository } from '../store/CallRepository.js';
import type { Page, PageRequest } from '../store/listQuery.js';
import type { Database, TelephonyCallTable } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import { CallClaimError } from './CallClaimError.js';
import type { CallRouter } from './CallRouter.js';
import { normalizeNumber } from './CallRouter.js';
import type { CallWebhookNotifier } from './CallWebhookNotifier.js';
import type { ConnectorService } from './ConnectorService.js';
import { hashRef, newCallId, newCallRef } from './ids.js';
import type { RegionTable } from './RegionTable.js';
import { checkTelnyxSignature, parseTelnyxPublicKey } from './telnyxSignature.js';
import { ROOM_FULL_MESSAGE, emptyTexml, noRoomTexml, streamTexml } from './texml.js';
import type { Call, CallFilter, CallStatus, CallWebhookType, HangupReason } from './types.js';

/** Default time Telnyx has to open the stream after the TeXML answer. */
export const DEFAULT_CLAIM_TTL_SECS = 90;

export interface CallServiceOptions {
  store: Store;
  connectors: ConnectorService;
  router: CallRouter;
  regions: RegionTable;
  notifier: CallWebhookNotifier;
  logger?: Logger | undefined;
  /**
   * Seats against the rooms' `max_participants`: a call into a full room is not connected.
   * Without it (no media engine) calls are not counted.
   */
  seats?: CallSeats | undefined;
  /** How long a stream ref can be claimed after the answer. Default: 90 s. */
  claimTtlSecs?: number;
  /** A claimed call not heard of (`touch`) for this long is ended as stale. Default: 120 s. */
  staleAfterSecs?: number;
  /** No call lasts longer than this (the TeXML pauses for 24 h). Default: 24 h + 5 min. */
  maxCallSecs?: number;
  /** How often the reaper runs. Default: 5 s. */
  reapIntervalMs?: number;
  now?: () => number;
  onListenerError?: (error: unknown, event: string) => void;
}

/** Room seats for calls (RoomCapacity): taken when a call's stream claims it, kept until it ends. */
export interface CallSeats {
  /** Whether one more participant fits in the room now. */
  hasRoomFor(roomId: string): Promise<boolean>;
  /** Takes a seat for the call: `taken`, `full`, or `gone` (no such room). */
  reserve(roomId: string, callId: string): Promise<'taken' | 'full' | 'gone'>;
  /** Whether the call holds a seat. */
  holds(callId: string): boolean;
  /** Gives the call's seat back. Idempotent. */
  release(callId: string): void;
}

/** A TeXML voice webhook as it arrived. */
export interface VoiceWebhookRequest {
  /** The `whk_…` segment of the URL. */
  webhookKey: string;
  /** The webhook's parameters: the form body of a POST, the query string of a GET. */
  fields: Readonly<Record<string, string>>;
  /** The exact body (empty for a GET), which a Telnyx signature covers. */
  rawBody: string;
  /** `?roomId=` on the webhook URL. */
  roomId?: string | undefined;
  signature?: string | undefined;
  timestamp?: string | undefined;
}

export interface VoiceWebhookAnswer {
  /**
   * `stream`: the call waits for its stream; `no-room` and `room-full`: told so and hung up;
   * `status`: a callback.
   */
  kind: 'stream' | 'no-room' | 'room-full' | 'status';
  texml: string;
  call: Call | undefined;
  /** Only for `stream`: the URL Telnyx is told to open. */
  streamUrl?: string;
}

export interface CallAnsweredDetails {
  /** The room session the caller joined. */
  sessionId?: string | undefined;
  /** The caller's participant id in that session. */
  participantId?: string | undefined;
}

export interface CallServiceEvents {
  /** TeXML with a stream was answered; the call waits for its stream. */
  callStarted: [Call];
  /** The bridge joined the room. */
  callAnswered: [Call];
  /** The call ended (`ended` or `failed`). */
  callEnded: [Call];
  /** No room, a full room, or no stream claimed the call in time. */
  callMissed: [Call];
  /**
   * Someone asked to end the call (`POST /v2/sip/call/end`); the call record is ended already.
   * The bridge holding its stream closes it (and hangs up through Telnyx when it can).
   */
  callEndRequested: [Call];
}

/** Telnyx's `CallStatus` values that say the call is over: a status callback, not a new call. */
const TERMINAL_CALL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'canceled', 'failed']);
const MAX_FIELD_LENGTH = 256;

/**
 * Inbound calls: answers the TeXML voice webhook (routing the call and issuing a single-use stream
 * ref), lets the media bridge claim the call by its ref, records its life (answered, ended) and
 * reports each step as a call webhook. A reaper ends calls whose claim ran out or whose bridge
 * went silent.
 */
export class CallService extends SafeEventEmitter<CallServiceEvents> {
  readonly #store: Store;
  readonly #connectors: ConnectorService;
  readonly #router: CallRouter;
  readonly #regions: RegionTable;
  readonly #notifier: CallWebhookNotifier;
  readonly #logger: Logger | undefined;
  readonly #seats: CallSeats | undefined;
  readonly #claimTtlMs: number;
  readonly #staleAfterMs: number;
  readonly #maxCallMs: number;
  readonly #reapIntervalMs: number;
  readonly #now: () => number;
  readonly #telnyxKeys = new Map<string, KeyObject>();
  #reapTimer: NodeJS.Timeout | undefined;
  #reaping: Promise<void> | undefined;
  #closed = false;

  constructor(options: CallServiceOptions) {
    super(options.onListenerError);
    this.#store = options.store;
    this.#connectors = options.connectors;
    this.#router = options.router;
    this.#regions = options.regions;
    this.#notifier = options.notifier;
    this.#logger = options.logger;
    this.#seats = options.seats;
    this.#claimTtlMs = (options.claimTtlSecs ?? DEFAULT_CLAIM_TTL_SECS) * 1000;
    this.#staleAfterMs = (options.staleAfterSecs ?? 120) * 1000;
    this.#maxCallMs = (options.maxCallSecs ?? 86_400 + 300) * 1000;
    this.#reapIntervalMs = options.reapIntervalMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** The claim lifetime in seconds. */
  get claimTtlSecs(): number {
    return this.#claimTtlMs / 1000;
  }

  /**
   * Answers a voice webhook. Throws a not-found error for an unknown (or rotated) key, a
   * {@link TelnyxSignatureError} when the connector wants signatures and this one fails, and a
   * validation error when `From` or `To` is missing.
   */
  async handleVoiceWebhook(request: VoiceWebhookRequest): Promise<VoiceWebhookAnswer> {
    const found = await this.#connectors.findByWebhookKey(request.webhookKey);
    if (found === undefined) {
      throw new PalaverError(
        ErrorCode.ResourceNotFound,
        'no connector has this webhook key (it may have been rotated)',
      );
    }
    const { connector } = found;
    if (found.telnyxPublicKey !== null) {
      checkTelnyxSignature(
        this.#telnyxKey(found.telnyxPublicKey),
        request.signature,
        request.timestamp,
        request.rawBody,
        this.#now(),
      );
    }
    const fields = request.fields;
    const callSid = optionalField(fields, 'CallSid');
    const callStatus = optionalField(fields, 'CallStatus');
    if (
      (callStatus !== null && TERMINAL_CALL_STATUSES.has(callStatus)) ||
      optionalField(fields, 'CallbackSource') !== null
    ) {
      return this.#statusCallback(connector.id, callSid, callStatus, fields);
    }
    const from = requiredField(fields, 'From');
    const to = requiredField(fields, 'To');

    const decision = await this.#router.route(connector, {
      from,
      to,
      roomIdParameter: request.roomId,
    });
    const nowMs = this.#now();
    const now = new Date(nowMs).toISOString();
    const rule = decision.rule;
    const row: TelephonyCallTable = {
      id: newCallId(),
      connector_id: connector.id,
      rule_id: rule?.id ?? null,
      room_id: decision.kind === 'room' ? decision.roomId : null,
      session_id: null,
      participant_id: null,
      direction: 'inbound',
      provider: connector.provider,
      from_number: from,
      to_number: normalizeNumber(to),
      caller_name: optionalField(fields, 'CallerId') ?? optionalField(fields, 'CallerName'),
      hide_phone_number: rule?.hidePhoneNumber === true ? 1 : 0,
      agent_id: rule?.agentId ?? null,
      agent_metadata: rule?.agentMetadata ? JSON.stringify(rule.agentMetadata) : null,
      region: null,
      ref_hash: null,
      ref_expires_at: null,
      claimed_at: null,
      answered_at: null,
      ended_at: null,
      last_seen_at: null,
      status: 'incoming',
      hangup_reason: null,
      duration_ms: null,
      provider_call_id: callSid,
      provider_account_id: optionalField(fields, 'AccountSid'),
      provider_connection_id: optionalField(fields, 'ConnectionId'),
      created_at: now,
      updated_at: now,
    };

    if (decision.kind === 'none') {
      this.#logger?.info(
        { connectorId: connector.id, callId: row.id, to: row.to_number, detail: decision.detail },
        'inbound call has no room',
      );
      const call = await this.#insert(
        { ...row, status: 'missed', hangup_reason: 'no-room', ended_at: now },
        'call-missed',
      );
      this.safeEmit('callMissed', call);
      return { kind: 'no-room', texml: noRoomTexml(), call };
    }

    if (this.#seats !== undefined && !(await this.#seats.hasRoomFor(decision.roomId))) {
      this.#logger?.info(
        { connectorId: connector.id, callId: row.id, roomId: decision.roomId },
        'inbound call refused: the room is full',
      );
      const call = await this.#insert(
        { ...row, status: 'missed', hangup_reason: 'room-full', ended_at: now },
        'call-missed',
      );
      this.safeEmit('callMissed', call);
      return { kind: 'room-full', texml: noRoomTexml(ROOM_FULL_MESSAGE), call };
    }

    const ref = newCallRef();
    const ingest = this.#regions.choose(connector.region, from);
    const streamUrl = `${ingest.baseUrl}/telnyx?ref=${ref}`;
    const call = await this.#insert(
      {
        ...row,
        region: ingest.region,
        ref_hash: hashRef(ref),
        ref_expires_at: new Date(nowMs + this.#claimTtlMs).toISOString(),
      },
      'call-started',
    );
    this.#logger?.debug(
      { callId: call.id, connectorId: connector.id, roomId: call.roomId, source: decision.source },
      'inbound call routed',
    );
    this.safeEmit('callStarted', call);
    return { kind: 'stream', texml: streamTexml(streamUrl), call, streamUrl };
  }

  /**
   * Claims the call a media stream's `ref` belongs to; each ref works once, within the claim
   * lifetime. An expired ref makes the call `missed` (and sends `call-missed`). The claim takes
   * a seat in the call's room; when the room filled up since the answer, the call is `missed`
   * (`room-full`, `call-missed`) and the claim fails.
   */
  async claimCall(ref: string): Promise<Call> {
    const calls = this.#calls();
    const refHash = hashRef(ref);
    const now = this.#iso();
    const seated = await this.#takeSeat(ref, refHash);
    if (ref.length > 0 && ref.length <= 128 && (await calls.claim(refHash, now))) {
      const claimed = await calls.findByRefHash(refHash);
      if (claimed !== undefined) {
        return claimed;
      }
    }
    if (seated !== undefined) {
      this.#seats?.release(seated);
    }
    const call = ref.length > 128 ? undefined : await calls.findByRefHash(refHash);
    if (call === undefined) {
      throw CallClaimError.unknown();
    }
    if (call.claimedAt !== null) {
      throw CallClaimError.used(call.id);
    }
    if (call.status === 'incoming') {
      // Not claimable while still incoming and unclaimed: the claim has run out.
      await this.#endUnanswered(call, 'claim-expired');
      throw CallClaimError.expired(call.id);
    }
    if (call.status === 'missed' && call.hangupReason === 'claim-expired') {
      throw CallClaimError.expired(call.id);
    }
    throw CallClaimError.ended(call.id);
  }

  /**
   * Takes a seat for the call of a claimable ref; returns the call id holding it. Throws (after
   * ending the call as `missed`, `room-full`) when its room is full.
   */
  async #takeSeat(ref: string, refHash: string): Promise<string | undefined> {
    if (this.#seats === undefined || ref.length === 0 || ref.length > 128) {
      return undefined;
    }
    const call = await this.#calls().findByRefHash(refHash);
    const roomId = call?.roomId ?? null;
    if (
      call === undefined ||
      roomId === null ||
      call.status !== 'incoming' ||
      call.claimedAt !== null ||
      (call.claimExpiresAt !== null && call.claimExpiresAt <= this.#iso()) ||
      // A second stream racing for the same ref: the first one's seat is not ours to give back.
      this.#seats.holds(call.id)
    ) {
      // Not claimable: the claim below fails and says why.
      return undefined;
    }
    const seat = await this.#seats.reserve(roomId, call.id);
    if (seat === 'taken') {
      return call.id;
    }
    if (seat === 'gone') {
      // The room was deleted meanwhile: the claim goes on and the join fails as it would.
      return undefined;
    }
    const missed = await this.#endUnanswered(call, 'room-full');
    if (missed === undefined) {
      // Claimed or ended meanwhile: the claim below says which.
      return undefined;
    }
    this.#logger?.info({ callId: call.id, roomId }, 'call refused: the room is full');
    throw CallClaimError.full(call.id);
  }

  /** The bridge joined the room: the call is `answered` (and `call-answered` is sent). */
  async markAnswered(callId: string, details: CallAnsweredDetails = {}): Promise<Call> {
    const now = this.#iso();
    const changed = await this.#transition(
      callId,
      ['incoming'],
      {
        status: 'answered',
        answered_at: now,
        last_seen_at: now,
        session_id: details.sessionId ?? null,
        participant_id: details.participantId ?? null,
        updated_at: now,
      },
      'call-answered',
    );
    if (changed !== undefined) {
      this.safeEmit('callAnswered', changed);
      return changed;
    }
    const call = await this.getCall(callId);
    if (call.status === 'answered') {
      return call;
    }
    throw new InvalidStateError(`call ${callId} is ${call.status}; it cannot be answered`);
  }

  /**
   * Ends an open call: `ended` when it was answered, `failed` when it was claimed but never
   * joined, `missed` when its stream never came. Idempotent: ending an ended call returns it.
   */
  async markEnded(callId: string, reason: HangupReason): Promise<Call> {
    this.#seats?.release(callId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const call = await this.getCall(callId);
      if (call.status !== 'incoming' && call.status !== 'answered') {
        return call;
      }
      if (call.status === 'incoming' && call.claimedAt === null) {
        const missed = await this.#endUnanswered(call, reason);
        if (missed !== undefined) {
          return missed;
        }
        continue;
      }
      const nowMs = this.#now();
      const now = new Date(nowMs).toISOString();
      const status: CallStatus = call.status === 'answered' ? 'ended' : 'failed';
      const ended = await this.#transition(
        callId,
        [call.status],
        {
          status,
          ended_at: now,
          hangup_reason: reason,
          duration_ms:
            call.answeredAt === null ? 0 : Math.max(0, nowMs - Date.parse(call.answeredAt)),
          updated_at: now,
        },
        'call-hangup',
      );
      if (ended !== undefined) {
        this.safeEmit('callEnded', ended);
        return ended;
      }
    }
    return this.getCall(callId);
  }

  /** A sign of life from the bridge; without one for a while the reaper ends the call. */
  async touch(callId: string): Promise<void> {
    await this.#calls().touch(callId, this.#iso());
  }

  /**
   * Ends a call on request (`POST /v2/sip/call/end`): the record ends at once and
   * `callEndRequested` tells the bridge to close the stream.
   */
  async requestEnd(callId: string): Promise<Call> {
    const call = await this.getCall(callId);
    if (call.status !== 'incoming' && call.status !== 'answered') {
      return call;
    }
    const ended = await this.markEnded(callId, 'api-request');
    this.safeEmit('callEndRequested', ended);
    return ended;
  }

  async getCall(id: string): Promise<Call> {
    const call = await this.#calls().find(id);
    if (call === undefined) {
      throw new NotFoundError('call', id);
    }
    return call;
  }

  async listCalls(filter: CallFilter, page: PageRequest): Promise<Page<Call>> {
    return this.#calls().list(filter, page);
  }

  /** Starts the periodic reaper. */
  start(): void {
    if (this.#closed || this.#reapTimer !== undefined) {
      return;
    }
    this.#reapTimer = setInterval(() => {
      this.reap().catch((error: unknown) => {
        this.#logger?.warn({ err: error }, 'call reaper failed; will retry');
      });
    }, this.#reapIntervalMs);
    this.#reapTimer.unref();
  }

  /**
   * Ends calls whose claim ran out (`missed`), claimed calls the bridge stopped reporting on
   * (`stale`) and calls older than any call may be (`max-duration`).
   */
  reap(): Promise<void> {
    this.#reaping ??= this.#reapOnce().finally(() => {
      this.#reaping = undefined;
    });
    return this.#reaping;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reapTimer);
    await this.#reaping?.catch(() => undefined);
  }

  async #reapOnce(): Promise<void> {
    const calls = this.#calls();
    const nowMs = this.#now();
    const now = new Date(nowMs).toISOString();
    for (const call of await calls.listUnclaimedExpired(now, 200)) {
      if (this.#closed) {
        return;
      }
      if ((await this.#endUnanswered(call, 'claim-expired')) !== undefined) {
        this.#logger?.info({ callId: call.id }, 'no stream claimed the call in time');
      }
    }
    const silentSince = new Date(nowMs - this.#staleAfterMs).toISOString();
    const startedBefore = new Date(nowMs - this.#maxCallMs).toISOString();
    for (const call of await calls.listStale(silentSince, startedBefore, 200)) {
      if (this.#closed) {
        return;
      }
      const reason = call.startedAt < startedBefore ? 'max-duration' : 'stale';
      this.#logger?.warn(
        { callId: call.id, reason },
        'ending a call the bridge stopped reporting on',
      );
      await this.markEnded(call.id, reason);
    }
  }

  /** Marks an unclaimed call `missed`; undefined when it changed meanwhile. */
  async #endUnanswered(call: Call, reason: HangupReason): Promise<Call | undefined> {
    const now = this.#iso();
    const missed = await this.#transition(
      call.id,
      ['incoming'],
      { status: 'missed', ended_at: now, hangup_reason: reason, updated_at: now },
      'call-missed',
      // Only while unclaimed: a claim that won the race keeps the call.
      true,
    );
    if (missed !== undefined) {
      this.safeEmit('callMissed', missed);
    }
    return missed;
  }

  /** Applies a status change and queues its webhook in one transaction. */
  async #transition(
    callId: string,
    from: CallStatus[],
    changes: Partial<TelephonyCallTable>,
    event: CallWebhookType,
    onlyUnclaimed = false,
  ): Promise<Call | undefined> {
    const call = await this.#store.db.transaction().execute(async (trx) => {
      const calls = new CallRepository(trx);
      const applied = onlyUnclaimed
        ? await calls.transitionUnclaimed(callId, changes)
        : await calls.transition(callId, from, changes);
      if (!applied) {
        return undefined;
      }
      const updated = await calls.find(callId);
      if (updated !== undefined) {
        await this.#notify(event, updated, trx);
      }
      return updated;
    });
    if (call !== undefined) {
      this.#notifier.wake();
    }
    return call;
  }

  async #insert(row: TelephonyCallTable, event: CallWebhookType): Promise<Call> {
    const call = await this.#store.db.transaction().execute(async (trx) => {
      const calls = new CallRepository(trx);
      await calls.insert(row);
      const inserted = await calls.find(row.id);
      if (inserted === undefined) {
        throw new InvalidStateError(`call ${row.id} vanished while being recorded`);
      }
      await this.#notify(event, inserted, trx);
      return inserted;
    });
    this.#notifier.wake();
    return call;
  }

  async #notify(type: CallWebhookType, call: Call, db: Kysely<Database>): Promise<void> {
    await this.#notifier.enqueue(
      { id: randomUUID(), type, occurredAt: call.updatedAt, call },
      { db },
    );
  }

  async #statusCallback(
    connectorId: string,
    callSid: string | null,
    callStatus: string | null,
    fields: Readonly<Record<string, string>>,
  ): Promise<VoiceWebhookAnswer> {
    const call =
      callSid === null ? undefined : await this.#calls().findByProviderCallId(connectorId, callSid);
    if (
      call !== undefined &&
      callStatus !== null &&
      TERMINAL_CALL_STATUSES.has(callStatus) &&
      (call.status === 'incoming' || call.status === 'answered')
    ) {
      const reason = optionalField(fields, 'HangupCause') ?? `telnyx-${callStatus}`;
      return { kind: 'status', texml: emptyTexml(), call: await this.markEnded(call.id, reason) };
    }
    return { kind: 'status', texml: emptyTexml(), call };
  }

  #telnyxKey(base64: string): KeyObject {
    let key = this.#telnyxKeys.get(base64);
    if (key === undefined) {
      key = parseTelnyxPublicKey(base64, 'telnyxPublicKey').key;
      if (this.#telnyxKeys.size > 1000) {
        this.#telnyxKeys.clear();
      }
      this.#telnyxKeys.set(base64, key);
    }
    return key;
  }

  #calls(): CallRepository {
    return new CallRepository(this.#store.db);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function requiredField(fields: Readonly<Record<string, string>>, name: string): string {
  const value = optionalField(fields, name);
  if (value === null) {
    throw new ValidationError(`the voice webhook has no ${name} parameter`, {
      source: { parameter: name },
    });
  }
  return value;
}

function optionalField(fields: Readonly<Record<string, string>>, name: string): string | null {
  const value = fields[name]?.trim();
  if (value === undefined || value === '') {
    return null;
  }
  if (value.length > MAX_FIELD_LENGTH || /\p{Cc}/u.test(value)) {
    throw new ValidationError(
      `the voice webhook's ${name} parameter is longer than ${MAX_FIELD_LENGTH} characters or holds control characters`,
      { source: { parameter: name } },
    );
  }
  return value;
}
