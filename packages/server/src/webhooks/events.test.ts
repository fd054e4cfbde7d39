import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES, isWebhookEventType, webhookBody } from './events.js';

describe('webhook events', () => {
  it('names the room events in Telnyx style', () => {
    expect(WEBHOOK_EVENT_TYPES).toEqual([
      'video.room.session.started',
      'video.room.session.ended',
      'video.room.participant.joined',
      'video.room.participant.left',
      'video.room.recording.saved',
      'video.room.composition.completed',
      'video.room.composition.failed',
    ]);
    expect(isWebhookEventType('video.room.participant.left')).toBe(true);
    expect(isWebhookEventType('video.room.deleted')).toBe(false);
  });

  it('wraps the payload in the v2 envelope with the room sequence', () => {
    const body = webhookBody(
      'video.room.participant.joined',
      'e1',
      '2026-01-02T03:04:05.678Z',
      {
        room_id: 'r1',
        session_id: 's1',
        participant_id: 'p1',
        context: 'Alice',
        joined_at: '2026-01-02T03:04:05.678Z',
      },
      7,
    );
    // Field order is part of the contract only in that the bytes are fixed once enqueued.
    expect(body).toBe(
      '{"data":{"record_type":"event","event_type":"video.room.participant.joined","id":"e1",' +
        '"occurred_at":"2026-01-02T03:04:05.678Z","payload":{"room_id":"r1","session_id":"s1",' +
        '"participant_id":"p1","context":"Alice","joined_at":"2026-01-02T03:04:05.678Z","sequence":7}}}',
    );
  });
});
