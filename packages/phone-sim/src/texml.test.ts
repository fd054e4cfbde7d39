import { describe, expect, it } from 'vitest';
import { PhoneSimError } from './errors.js';
import { parseTexml } from './texml.js';

describe('parseTexml', () => {
  it("reads a connector's answer with Telnyx's defaults filled in", () => {
    const doc = parseTexml(`<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Start>
    <Stream url="wss://ingest.example/telnyx?ref=abc&amp;x=1" track="both_tracks" bidirectionalMode="rtp" bidirectionalCodec="PCMU">
      <Parameter name="customer_id" value="12345"/>
      <Parameter name="room" value="a &lt;b&gt;"/>
    </Stream>
  </Start>
  <Pause length="86400" />
</Response>`);
    expect(doc.warnings).toEqual([]);
    expect(doc.verbs).toEqual([
      {
        verb: 'Start',
        stream: {
          url: 'wss://ingest.example/telnyx?ref=abc&x=1',
          track: 'both_tracks',
          codec: 'default',
          bidirectionalMode: 'rtp',
          bidirectionalCodec: 'PCMU',
          bidirectionalSamplingRate: 8000,
          statusCallbackMethod: 'POST',
          parameters: { customer_id: '12345', room: 'a <b>' },
        },
      },
      { verb: 'Pause', lengthSeconds: 86400 },
    ]);
  });

  it('defaults a bare stream to inbound_track and mp3 mode', () => {
    const doc = parseTexml(
      '<Response><Start><Stream url="ws://h/s" name="n" statusCallback="http://h/cb" statusCallbackMethod="get"/></Start></Response>',
    );
    expect(doc.verbs[0]).toEqual({
      verb: 'Start',
      stream: {
        url: 'ws://h/s',
        name: 'n',
        track: 'inbound_track',
        codec: 'default',
        bidirectionalMode: 'mp3',
        bidirectionalCodec: 'PCMU',
        bidirectionalSamplingRate: 8000,
        statusCallback: 'http://h/cb',
        statusCallbackMethod: 'GET',
        parameters: {},
      },
    });
  });

  it('reads Say, Pause, Hangup, Reject and Stop, and reports what it does not know', () => {
    const doc = parseTexml(
      '<Response><Say voice="alice" language="en-US" loop="2">Hello &amp; welcome</Say><Pause/><Gather input="dtmf"/><Stop><Stream/></Stop><Hangup/></Response>',
    );
    expect(doc.verbs).toEqual([
      { verb: 'Say', text: 'Hello & welcome', voice: 'alice', language: 'en-US', loop: 2 },
      { verb: 'Pause', lengthSeconds: 1 },
      { verb: 'Unknown', name: 'Gather', attributes: { input: 'dtmf' } },
      { verb: 'Stop', stream: true },
      { verb: 'Hangup' },
    ]);
    expect(doc.warnings).toEqual(['<Gather> is not simulated; skipped']);
    expect(parseTexml('<Response><Reject reason="busy"/></Response>').verbs).toEqual([
      { verb: 'Reject', reason: 'busy' },
    ]);
    expect(parseTexml('<Response><Reject/></Response>').verbs).toEqual([
      { verb: 'Reject', reason: 'rejected' },
    ]);
  });

  it('warns about bad attribute values and falls back to defaults', () => {
    const doc = parseTexml(
      '<Response><Start><Stream url="ws://h/s" track="left" bidirectionalMode="pcm" foo="1"/><Stream url="ws://h/2"/></Start><Pause length="-3"/></Response>',
    );
    const start = doc.verbs[0];
    expect(start?.verb === 'Start' ? start.stream?.track : undefined).toBe('inbound_track');
    expect(doc.warnings).toHaveLength(5);
    expect(doc.verbs[1]).toEqual({ verb: 'Pause', lengthSeconds: 1 });
    expect(
      parseTexml('<Response><Start><Stream url="http://h/s"/></Start></Response>').verbs,
    ).toEqual([{ verb: 'Start' }]);
  });

  it('refuses what is not TeXML, with a stable code', () => {
    for (const bad of ['', 'hello', '<Response><Start></Response>', '<Other/>', '{"a":1}']) {
      expect(() => parseTexml(bad)).toThrow(PhoneSimError);
      try {
        parseTexml(bad);
      } catch (error) {
        expect((error as PhoneSimError).code).toBe('texml_invalid');
      }
    }
  });
});
