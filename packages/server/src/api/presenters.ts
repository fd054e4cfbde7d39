import type { RoomSessionView, RoomView } from '../rooms/RoomService.js';
import type { RoomParticipant } from '../rooms/types.js';
import type { Page } from '../store/listQuery.js';
import { pageCount } from '../store/listQuery.js';

// Domain objects to Telnyx's snake_case wire shapes.

export function presentRoom(view: RoomView) {
  const { room } = view;
  return {
    record_type: 'room' as const,
    id: room.id,
    unique_name: room.uniqueName,
    max_participants: room.maxParticipants,
    enable_recording: room.enableRecording,
    webhook_event_url: room.webhookEventUrl,
    webhook_event_failover_url: room.webhookEventFailoverUrl,
    webhook_timeout_secs: room.webhookTimeoutSecs,
    active_session_id: room.activeSessionId,
    ...(view.sessions !== undefined && { sessions: view.sessions.map(presentSession) }),
    created_at: room.createdAt,
    updated_at: room.updatedAt,
  };
}

export function presentSession(view: RoomSessionView) {
  const { session } = view;
  return {
    record_type: 'room_session' as const,
    id: session.id,
    room_id: session.roomId,
    active: session.active,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
    ended_at: session.endedAt,
    ...(view.participants !== undefined && {
      participants: view.participants.map(presentParticipant),
    }),
  };
}

export function presentParticipant(participant: RoomParticipant) {
  return {
    record_type: 'room_participant' as const,
    id: participant.id,
    session_id: participant.sessionId,
    context: participant.context,
    joined_at: participant.joinedAt,
    updated_at: participant.updatedAt,
    left_at: participant.leftAt,
  };
}

export function presentPage<T, W>(page: Page<T>, present: (item: T) => W) {
  return {
    data: page.items.map(present),
    meta: {
      page_number: page.number,
      page_size: page.size,
      total_pages: pageCount(page.total, page.size),
      total_results: page.total,
    },
  };
}
