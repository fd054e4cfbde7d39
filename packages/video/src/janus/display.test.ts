import { describe, expect, it } from 'vitest';
import { decodeDisplay, encodeDisplay } from './display.js';

describe('participant displays', () => {
  it('are base64 of UTF-8 JSON, byte for byte what @telnyx/video sends', () => {
    const info = { participantId: 'p-1', external: '{"name":"Zoë 🎥"}', canReceiveMessages: true };
    const encoded = encodeDisplay(info);
    expect(encoded).toBe(Buffer.from(JSON.stringify(info), 'utf8').toString('base64'));
    expect(decodeDisplay(encoded)).toEqual(info);
  });

  it('decode streams and phone participants, and reject what is not a display', () => {
    const phone = {
      participantId: 'call-1',
      telephonyEngineParticipant: true,
      stream: { id: 's', key: 'audiobridge', isAudioEnabled: true, isVideoEnabled: false },
    };
    expect(decodeDisplay(encodeDisplay(phone))).toEqual(phone);
    expect(decodeDisplay('alice')).toBeUndefined();
    expect(decodeDisplay(Buffer.from('{"name":1}').toString('base64'))).toBeUndefined();
    expect(decodeDisplay(42)).toBeUndefined();
  });
});
