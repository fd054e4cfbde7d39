import { describe, expect, it } from 'vitest';
import {
  closeCodeForReason,
  isReconnectable,
  reasonForCloseCode,
  reasonForStatusCode,
} from './closeReasons.js';

describe('disconnection reasons', () => {
  it('map WebSocket close codes as @telnyx/video does, plus Palaver gateway closes', () => {
    expect(reasonForCloseCode(1000)).toBe('user_initiated');
    expect(reasonForCloseCode(1006)).toBe('network_error');
    expect(reasonForCloseCode(3999)).toBe('timed_out');
    expect(reasonForCloseCode(4000)).toBe('session_terminated');
    expect(reasonForCloseCode(4001)).toBe('unauthorized');
    expect(reasonForCloseCode(1001)).toBe('network_error');
    expect(reasonForCloseCode(1011)).toBe('network_error');
    expect(reasonForCloseCode(1012)).toBe('network_error');
    expect(reasonForCloseCode(1008)).toBe('unknown');
    expect(reasonForCloseCode(1005)).toBe('unknown');
  });

  it('map refusal status codes 401, 403 and 503', () => {
    expect(reasonForStatusCode(401)).toBe('unauthorized');
    expect(reasonForStatusCode(403)).toBe('forbidden');
    expect(reasonForStatusCode(503)).toBe('network_error');
    expect(reasonForStatusCode(429)).toBeUndefined();
  });

  it('close with the codes @telnyx/video sends, and reconnect only after network trouble', () => {
    expect(closeCodeForReason('user_initiated')).toBe(1000);
    expect(closeCodeForReason('timed_out')).toBe(3999);
    expect(closeCodeForReason('session_terminated')).toBe(4000);
    expect(closeCodeForReason('kicked')).toBeUndefined();
    expect(isReconnectable('network_error')).toBe(true);
    expect(isReconnectable('timed_out')).toBe(true);
    expect(isReconnectable('unauthorized')).toBe(false);
    expect(isReconnectable('session_terminated')).toBe(false);
  });
});
