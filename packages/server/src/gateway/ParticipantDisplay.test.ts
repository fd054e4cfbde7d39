import { describe, expect, it } from 'vitest';
import { decodeDisplay, encodeDisplay } from './ParticipantDisplay.js';

const b64 = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

describe('decodeDisplay()', () => {
  it('reads what the SDK encodes, including non-ASCII contexts', () => {
    const display = {
      participantId: '0b6a3c1e-1111-4a2b-8c3d-4e5f60718293',
      external: '{"name":"Zoë 🎤"}',
      canReceiveMessages: true,
    };
    expect(decodeDisplay(encodeDisplay(display))).toEqual(display);
    expect(
      decodeDisplay(
        b64({
          participantId: 'p1',
          stream: { id: 's1', key: 'self', isAudioEnabled: true, isVideoEnabled: false },
        }),
      ),
    ).toEqual({
      participantId: 'p1',
      stream: { id: 's1', key: 'self', isAudioEnabled: true, isVideoEnabled: false },
    });
  });

  it.each([
    ['a plain string', 'alice', /base64-encoded JSON/],
    ['JSON that is not an object', b64([1]), /JSON object/],
    ['no participantId', b64({ external: 'x' }), /participantId/],
    ['a participantId with odd characters', b64({ participantId: 'a b' }), /participantId/],
    ['a non-string context', b64({ participantId: 'p', external: { name: 'x' } }), /external/],
    [
      'a telephony participant',
      b64({ participantId: 'p', telephonyEngineParticipant: true }),
      /telephony/,
    ],
    ['a stream without a key', b64({ participantId: 'p', stream: { id: 's' } }), /stream.key/],
    ['a huge display', b64({ participantId: 'p', external: 'x'.repeat(20_000) }), /longer than/],
  ])('refuses %s', (_name, display, message) => {
    expect(() => decodeDisplay(display)).toThrow(message);
  });
});
