import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Call, CallWebhookType } from './types.js';

/** One call-lifecycle event, to be sent to every subscription that asked for its type. */
export interface CallWebhookEvent {
  /** Unique per event; receivers de-duplicate on it. */
  id: string;
  type: CallWebhookType;
  occurredAt: string;
  /** The call as it is after the event. */
  call: Call;
}

export interface NotifyOptions {
  /** The transaction the event belongs to: it is queued only if that commits. */
  db?: Kysely<Database>;
}

/** Where the call domain hands its lifecycle events; delivery is the notifier's business. */
export interface CallWebhookNotifier {
  /** Queues the event durably; resolves once it is stored (or needs no delivery). */
  enqueue(event: CallWebhookEvent, options?: NotifyOptions): Promise<void>;
  /** Starts delivering soon instead of at the next poll; call after the transaction commits. */
  wake(): void;
}

/** Where an event sits in its call's life, so a receiver gets a call's events in this order. */
export const CALL_EVENT_ORDER: Record<CallWebhookType, number> = {
  'call-started': 1,
  'call-answered': 2,
  'call-hangup': 3,
  'call-missed': 3,
};

/** The wire form of a call, shared by `GET /v2/sip/call/{id}` and the webhooks' `data`. */
export function callPayload(call: Call): Record<string, unknown> {
  return {
    id: call.id,
    type: call.direction,
    provider: call.provider,
    connectorId: call.connectorId,
    ruleId: call.ruleId,
    roomId: call.roomId,
    sessionId: call.sessionId,
    participantId: call.participantId,
    from: call.from,
    to: call.to,
    callerName: call.callerName,
    status: call.status,
    hangupReason: call.hangupReason,
    start: call.startedAt,
    answeredAt: call.answeredAt,
    end: call.endedAt,
    // Seconds, like VideoSDK's durations; milliseconds precision.
    duration: call.durationMs === null ? null : call.durationMs / 1000,
    region: call.region,
    hidePhoneNumber: call.hidePhoneNumber,
    agentId: call.agentId,
    agentMetadata: call.agentMetadata,
    telnyx: {
      callSid: call.providerCallId,
      accountSid: call.providerAccountId,
      connectionId: call.providerConnectionId,
    },
    updatedAt: call.updatedAt,
  };
}

/**
 * The body of a call webhook: VideoSDK's envelope `{"webhookType", "data"}`, plus the event's
 * `id` and `timestamp` so receivers can de-duplicate and order.
 */
export function callWebhookBody(event: CallWebhookEvent): string {
  return JSON.stringify({
    id: event.id,
    webhookType: event.type,
    timestamp: event.occurredAt,
    data: callPayload(event.call),
  });
}
