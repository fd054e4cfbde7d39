import { describe, expect, it } from 'vitest';
import {
  appClearFrame,
  appMarkFrame,
  appMediaFrame,
  connectedFrame,
  decodeBase64Strict,
  dtmfFrame,
  errorFrame,
  markFrame,
  mediaFrame,
  parseAppFrame,
  parseTelnyxFrame,
  serializeMediaFrame,
  startFrame,
  stopFrame,
} from './frames.js';

const STREAM = '32de0dea-53cb-4b21-89a4-9e1819c043bc';

describe('Telnyx stream frames', () => {
  it('build with the key order and string counters of the protocol notes', () => {
    expect(JSON.stringify(connectedFrame())).toBe('{"event":"connected","version":"1.0.0"}');
    expect(
      JSON.stringify(
        startFrame({
          sequenceNumber: 1,
          streamId: STREAM,
          userId: 'u',
          callControlId: 'v3:c',
          callSessionId: 's',
          from: '+13122010094',
          to: '+13122123456',
          customParameters: { customer_id: 'customer_123' },
          mediaFormat: { encoding: 'PCMU', sample_rate: 8000, channels: 1 },
        }),
      ),
    ).toBe(
      `{"event":"start","sequence_number":"1","stream_id":"${STREAM}","start":{"user_id":"u","call_control_id":"v3:c","call_session_id":"s","from":"+13122010094","to":"+13122123456","custom_parameters":{"customer_id":"customer_123"},"media_format":{"encoding":"PCMU","sample_rate":8000,"channels":1}}}`,
    );
    expect(
      JSON.stringify(
        mediaFrame({
          sequenceNumber: 4,
          streamId: STREAM,
          track: 'inbound',
          chunk: 2,
          timestamp: 20,
          payload: 'AAAA',
        }),
      ),
    ).toBe(
      `{"event":"media","sequence_number":"4","media":{"track":"inbound","chunk":"2","timestamp":"20","payload":"AAAA"},"stream_id":"${STREAM}"}`,
    );
    expect(
      JSON.stringify(
        dtmfFrame({
          sequenceNumber: 5,
          streamId: STREAM,
          digit: '1',
          occurredAt: new Date('2025-06-05T08:54:19.698Z'),
        }),
      ),
    ).toBe(
      `{"event":"dtmf","stream_id":"${STREAM}","occurred_at":"2025-06-05T08:54:19.698Z","sequence_number":"5","dtmf":{"digit":"1"}}`,
    );
    expect(
      JSON.stringify(markFrame({ sequenceNumber: 6, streamId: STREAM, name: 'greeting-end' })),
    ).toBe(
      `{"event":"mark","stream_id":"${STREAM}","sequence_number":"6","mark":{"name":"greeting-end"}}`,
    );
    expect(
      JSON.stringify(
        errorFrame({
          sequenceNumber: 7,
          streamId: STREAM,
          kind: 'RateLimitReached',
          detail: 'Too many requests',
        }),
      ),
    ).toBe(
      `{"stream_id":"${STREAM}","event":"error","sequence_number":"7","error":{"title":"rate_limit_reached","code":"100005","detail":"Too many requests"}}`,
    );
    expect(
      JSON.stringify(
        stopFrame({ sequenceNumber: 8, streamId: STREAM, userId: 'u', callControlId: 'v3:c' }),
      ),
    ).toBe(
      `{"event":"stop","sequence_number":"8","stop":{"user_id":"u","call_control_id":"v3:c"},"stream_id":"${STREAM}"}`,
    );
  });

  it('serializes media on the fast path exactly as JSON.stringify does', () => {
    const payload = Buffer.alloc(160, 0xff).toString('base64');
    for (const track of ['inbound', 'outbound'] as const) {
      expect(serializeMediaFrame(12, track, 11, 200, payload, STREAM)).toBe(
        JSON.stringify(
          mediaFrame({
            sequenceNumber: 12,
            streamId: STREAM,
            track,
            chunk: 11,
            timestamp: 200,
            payload,
          }),
        ),
      );
    }
  });

  it('parses what an application may send', () => {
    expect(parseAppFrame(JSON.stringify(appMediaFrame('AAAA')))).toEqual({
      ok: true,
      frame: appMediaFrame('AAAA'),
    });
    expect(parseAppFrame(JSON.stringify(appMarkFrame('m', STREAM)))).toMatchObject({ ok: true });
    expect(parseAppFrame(JSON.stringify(appClearFrame()))).toMatchObject({
      ok: true,
      frame: { event: 'clear' },
    });
    expect(parseAppFrame('{"event":"media"')).toMatchObject({
      ok: false,
      problem: 'malformed_json',
    });
    expect(parseAppFrame('[1]')).toMatchObject({ ok: false, problem: 'not_an_object' });
    expect(parseAppFrame('{"event":"media","media":{}}')).toMatchObject({
      ok: false,
      problem: 'invalid_field',
    });
    expect(parseAppFrame('{"event":"mark","mark":{"name":3}}')).toMatchObject({
      ok: false,
      problem: 'invalid_field',
    });
    expect(parseAppFrame('{"event":"media","media":{"payload":"A"},"stream_id":1}')).toMatchObject({
      ok: false,
    });
    expect(parseAppFrame('{"event":"hello"}')).toMatchObject({
      ok: false,
      problem: 'unknown_event',
      event: 'hello',
    });
  });

  it('parses what Telnyx sends, strictly', () => {
    expect(
      parseTelnyxFrame('{"event":"connected","version":"1.0.0","protocol":"Call"}'),
    ).toMatchObject({ ok: true });
    const media = serializeMediaFrame(2, 'inbound', 1, 0, 'AAAA', STREAM);
    expect(parseTelnyxFrame(media)).toMatchObject({ ok: true, frame: { event: 'media' } });
    // Numbers where Telnyx sends strings are refused.
    expect(
      parseTelnyxFrame(media.replace('"sequence_number":"2"', '"sequence_number":2')),
    ).toMatchObject({
      ok: false,
      problem: 'invalid_field',
    });
    expect(parseTelnyxFrame(media.replace('"chunk":"1"', '"chunk":1'))).toMatchObject({
      ok: false,
    });
    expect(parseTelnyxFrame(media.replace(`,"stream_id":"${STREAM}"`, ''))).toMatchObject({
      ok: false,
    });
    expect(
      parseTelnyxFrame(
        '{"event":"media","sequence_number":"1","stream_id":"x","media":{"track":"both"}}',
      ),
    ).toMatchObject({
      ok: false,
    });
    expect(
      parseTelnyxFrame('{"event":"bogus","sequence_number":"1","stream_id":"x"}'),
    ).toMatchObject({
      ok: false,
      problem: 'unknown_event',
    });
  });

  it('decodes only canonical base64', () => {
    expect(decodeBase64Strict('/w==')).toEqual(Buffer.from([0xff]));
    expect(decodeBase64Strict('')).toEqual(Buffer.alloc(0));
    expect(decodeBase64Strict('/w')).toBeUndefined();
    expect(decodeBase64Strict('*not-base64*')).toBeUndefined();
    expect(decodeBase64Strict('AA AA')).toBeUndefined();
  });
});
