import { describe, expect, it } from 'vitest';
import { GatewayRefusal } from './GatewayRefusal.js';
import { encodeDisplay } from './ParticipantDisplay.js';
import type { PolicyContext } from './RequestPolicy.js';
import { checkPluginRequest, sanitizeJsep } from './RequestPolicy.js';

const room = '3f1c2a9e-7b4d-4e2a-9c1b-2d5e6f708192';
const alice = '0b6a3c1e-1111-4a2b-8c3d-4e5f60718293';
const unbound: PolicyContext = { roomId: room, participantId: undefined, audioMuteLocked: false };
const bound: PolicyContext = { ...unbound, participantId: alice };

const refusal = (fn: () => unknown): GatewayRefusal => {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayRefusal) {
      return error;
    }
    throw error;
  }
  throw new Error('not refused');
};

describe('checkPluginRequest()', () => {
  it("passes the SDK's registration join and names its role and display", () => {
    const verdict = checkPluginRequest(
      'audiobridge',
      {
        request: 'join',
        room,
        display: encodeDisplay({
          participantId: alice,
          external: '{"n":1}',
          canReceiveMessages: true,
        }),
        muted: true,
      },
      unbound,
    );
    expect(verdict).toMatchObject({
      request: 'join',
      role: 'register',
      display: { participantId: alice, external: '{"n":1}', canReceiveMessages: true },
    });
  });

  it.each([
    ['audiobridge', { participantId: alice, stream: { id: 's', key: 'audiobridge' } }, 'mixer'],
    ['videoroom', { participantId: alice }, 'listener'],
    ['videoroom', { participantId: alice, stream: { id: 's', key: 'self' } }, 'publisher'],
  ] as const)('tells %s joins apart (%j → %s)', (plugin, display, role) => {
    const body = {
      request: 'join',
      room,
      display: encodeDisplay(display),
      ...(plugin === 'videoroom' && { ptype: 'publisher' }),
    };
    expect(checkPluginRequest(plugin, body, bound).role).toBe(role);
  });

  it('passes a legacy subscriber join once the participant is known', () => {
    const body = {
      request: 'join',
      room,
      ptype: 'subscriber',
      feed: 'x',
      audio: true,
      video: true,
    };
    expect(checkPluginRequest('videoroom', body, bound).role).toBe('subscriber');
    expect(refusal(() => checkPluginRequest('videoroom', body, unbound)).message).toMatch(
      /declared itself/,
    );
  });

  it('lets the TextRoom handshake through before anyone is declared', () => {
    expect(checkPluginRequest('textroom', { request: 'setup', room }, unbound).request).toBe(
      'setup',
    );
    expect(checkPluginRequest('textroom', { request: 'ack' }, unbound).request).toBe('ack');
  });

  it.each([
    ['audiobridge', 'create'],
    ['audiobridge', 'kick_all'],
    ['audiobridge', 'changeroom'],
    ['audiobridge', 'rtp_forward'],
    ['audiobridge', 'play_file'],
    ['audiobridge', 'enable_mjrs'],
    ['videoroom', 'moderate'],
    ['videoroom', 'enable_recording'],
    ['videoroom', 'switch'],
    ['videoroom', 'joinandconfigure'],
    ['textroom', 'join'],
    ['textroom', 'kick'],
    ['textroom', 'toString'],
  ] as const)('refuses %s %s', (plugin, request) => {
    const error = refusal(() => checkPluginRequest(plugin, { request, room }, bound));
    expect(error).toMatchObject({
      status: 403,
      message: `${plugin} request "${request}" is not allowed`,
    });
  });

  it('refuses fields outside the allow-list, another room, and another participant', () => {
    expect(
      refusal(() => checkPluginRequest('videoroom', { request: 'configure', record: true }, bound))
        .message,
    ).toBe('field "record" is not allowed in videoroom configure');
    expect(
      refusal(() =>
        checkPluginRequest('audiobridge', { request: 'listparticipants', room: 'other' }, bound),
      ).message,
    ).toMatch(/another room/);
    expect(
      refusal(() =>
        checkPluginRequest(
          'audiobridge',
          { request: 'configure', display: encodeDisplay({ participantId: 'mallory' }) },
          bound,
        ),
      ).message,
    ).toMatch(/is participant .*, not mallory/);
  });

  it('requires a display on joins other participants see', () => {
    expect(
      refusal(() => checkPluginRequest('audiobridge', { request: 'join', room }, bound)).message,
    ).toBe('audiobridge join needs a display');
    expect(
      refusal(() =>
        checkPluginRequest('videoroom', { request: 'join', room, ptype: 'publisher' }, bound),
      ).message,
    ).toBe('videoroom join needs a display');
    expect(
      refusal(() =>
        checkPluginRequest('videoroom', { request: 'join', room, ptype: 'admin' }, bound),
      ).message,
    ).toMatch(/ptype/);
  });

  it('refuses a self-unmute while a moderator mute holds', () => {
    const unmute = { request: 'configure', muted: false };
    expect(checkPluginRequest('audiobridge', unmute, bound).request).toBe('configure');
    expect(
      refusal(() => checkPluginRequest('audiobridge', unmute, { ...bound, audioMuteLocked: true }))
        .message,
    ).toMatch(/muted by a moderator/);
  });

  it('refuses bodies that are not objects with a request', () => {
    expect(refusal(() => checkPluginRequest('audiobridge', [], bound)).status).toBe(400);
    expect(refusal(() => checkPluginRequest('audiobridge', { room }, bound)).status).toBe(400);
  });
});

describe('sanitizeJsep()', () => {
  it('keeps only what Janus needs', () => {
    expect(
      sanitizeJsep({ type: 'offer', sdp: 'v=0', trickle: true, e2ee: true, force_relay: true }),
    ).toEqual({ type: 'offer', sdp: 'v=0', trickle: true });
    expect(refusal(() => sanitizeJsep({ type: 'pranswer', sdp: 'v=0' })).status).toBe(400);
  });
});
