// The room webhook events, their payloads and the envelope they travel in. Names follow
// Telnyx's `<product>.<object>.<verb>` style; Telnyx publishes no video-room event list, so
// these are Palaver's own (see docs/webhooks.md).

/** Every event type a room webhook can carry. */
export const WEBHOOK_EVENT_TYPES = [
  'video.room.session.started',
  'video.room.session.ended',
  'video.room.participant.joined',
  'video.room.participant.left',
  'video.room.recording.saved',
  'video.room.composition.completed',
  'video.room.composition.failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A room session began: the first participant joined an idle room. */
export interface SessionStartedPayload {
  room_id: string;
  session_id: string;
  started_at: string;
}

/** A room session ended: the last participant left, or it was ended or its room deleted. */
export interface SessionEndedPayload {
  room_id: string;
  session_id: string;
  started_at: string;
  ended_at: string;
}

/** A participant joined a room session. */
export interface ParticipantJoinedPayload {
  room_id: string;
  session_id: string;
  participant_id: string;
  /** The app-defined string the client gave when joining (the SDK's `external`). */
  context: string | null;
  joined_at: string;
}

/** A participant left a room session (hung up, was kicked, or the session ended). */
export interface ParticipantLeftPayload {
  room_id: string;
  session_id: string;
  participant_id: string;
  context: string | null;
  joined_at: string;
  left_at: string;
}

/** A participant's track was converted and can be downloaded (`GET /v2/room_recordings/{id}`). */
export interface RecordingSavedPayload {
  room_id: string;
  session_id: string;
  participant_id: string;
  recording_id: string;
  type: 'audio' | 'video';
  codec: string;
  duration_secs: number;
  size_mb: number;
  started_at: string;
  ended_at: string;
}

/** A composition finished (`status` `completed`) or could not be made (`failed`, with `error`). */
export interface CompositionFinishedPayload {
  room_id: string;
  session_id: string;
  composition_id: string;
  status: 'completed' | 'failed';
  duration_secs: number | null;
  size_mb: number | null;
  error: string | null;
}

/** What the caller of `enqueue` supplies for each event type. */
export interface WebhookPayloads {
  'video.room.session.started': SessionStartedPayload;
  'video.room.session.ended': SessionEndedPayload;
  'video.room.participant.joined': ParticipantJoinedPayload;
  'video.room.participant.left': ParticipantLeftPayload;
  'video.room.recording.saved': RecordingSavedPayload;
  'video.room.composition.completed': CompositionFinishedPayload;
  'video.room.composition.failed': CompositionFinishedPayload;
}

/** The payload as delivered: the caller's fields plus the room's event counter. */
export type DeliveredPayload<T extends WebhookEventType> = WebhookPayloads[T] & {
  /** 1, 2, 3, … per room in the order events happened; deliveries follow it. */
  sequence: number;
};

/** The JSON body of every delivery, in Telnyx's v2 webhook envelope. */
export interface WebhookEnvelope<T extends WebhookEventType = WebhookEventType> {
  data: {
    record_type: 'event';
    event_type: T;
    /** Unique per event and identical on every attempt, so receivers can de-duplicate. */
    id: string;
    occurred_at: string;
    payload: DeliveredPayload<T>;
  };
}

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The exact body sent for an event; serialised once so every attempt sends the same bytes. */
export function webhookBody<T extends WebhookEventType>(
  type: T,
  id: string,
  occurredAt: string,
  payload: WebhookPayloads[T],
  sequence: number,
): string {
  const envelope: WebhookEnvelope<T> = {
    data: {
      record_type: 'event',
      event_type: type,
      id,
      occurred_at: occurredAt,
      payload: { ...payload, sequence },
    },
  };
  return JSON.stringify(envelope);
}
