import { describe, expect, it } from 'vitest';
import { parseIngestFrame } from './ingestFrames.js';

const payload = Buffer.alloc(160, 0x7f).toString('base64');

describe('parseIngestFrame', () => {
  it("reads Telnyx's start frame, old and new spellings alike", () => {
    const now = parseIngestFrame(
      JSON.stringify({
        event: 'start',
        sequence_number: '1',
        stream_id: 's-1',
        start: {
          call_control_id: 'v3:abc',
          from: '+1312',
          to: '+1415',
          custom_parameters: { a: 'b' },
          media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 },
        },
      }),
    );
    expect(now).toEqual({
      ok: true,
      frame: {
        event: 'start',
        streamId: 's-1',
        callControlId: 'v3:abc',
        from: '+1312',
        to: '+1415',
        codec: 'pcmu',
        sampleRate: 8000,
        customParameters: { a: 'b' },
      },
    });
    const old = parseIngestFrame(
      JSON.stringify({
        event: 'start',
        sequence_number: 1,
        start: {
          customParameters: [{ name: 'x', value: 'y' }],
          media_format: { encoding: 'audio/x-alaw', sample_rate: '8000', channels: 1 },
        },
      }),
    );
    expect(old).toMatchObject({
      ok: true,
      frame: { codec: 'pcma', streamId: undefined, customParameters: { x: 'y' } },
    });
  });

  it('refuses media formats other than 8 kHz mono G.711', () => {
    const wideband = parseIngestFrame(
      JSON.stringify({
        event: 'start',
        start: { media_format: { encoding: 'L16', sample_rate: 16000, channels: 1 } },
      }),
    );
    expect(wideband).toMatchObject({ ok: false, problem: 'unsupported_format' });
  });

  it('reads media with string or number counters and checks the payload', () => {
    expect(
      parseIngestFrame(
        JSON.stringify({
          event: 'media',
          sequence_number: '4',
          media: { track: 'inbound', chunk: 2, timestamp: '20', payload },
        }),
      ),
    ).toMatchObject({ ok: true, frame: { track: 'inbound', chunk: 2, sequence: 4 } });
    const bad = (p: string) =>
      parseIngestFrame(JSON.stringify({ event: 'media', media: { payload: p } }));
    expect(bad('not base64!')).toMatchObject({ ok: false, problem: 'invalid_media' });
    expect(bad(Buffer.alloc(80).toString('base64'))).toMatchObject({
      ok: false,
      problem: 'invalid_media',
      detail: expect.stringContaining('80 bytes'),
    });
    expect(
      parseIngestFrame(JSON.stringify({ event: 'media', media: { track: 'both', payload } })),
    ).toMatchObject({ ok: false, problem: 'invalid_field' });
  });

  it('reads dtmf, stop, mark and error frames and names what it cannot read', () => {
    expect(parseIngestFrame('{"event":"dtmf","dtmf":{"digit":"#"}}')).toEqual({
      ok: true,
      frame: { event: 'dtmf', digit: '#' },
    });
    expect(parseIngestFrame('{"event":"dtmf","dtmf":{"digit":"12"}}')).toMatchObject({
      ok: false,
    });
    expect(parseIngestFrame('{"event":"stop","stop":{}}')).toEqual({
      ok: true,
      frame: { event: 'stop' },
    });
    expect(parseIngestFrame('{"event":"error","error":{"code":100003,"title":"x"}}')).toMatchObject(
      { ok: true, frame: { event: 'error', code: '100003', title: 'x' } },
    );
    expect(parseIngestFrame('{"event":')).toMatchObject({ ok: false, problem: 'malformed_json' });
    expect(parseIngestFrame('[1]')).toMatchObject({ ok: false, problem: 'malformed_json' });
    expect(parseIngestFrame('{"event":"party"}')).toMatchObject({
      ok: false,
      problem: 'unknown_event',
    });
  });
});
