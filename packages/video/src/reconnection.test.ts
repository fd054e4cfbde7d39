import { afterEach, describe, expect, it } from 'vitest';
import { decodeDisplay } from './janus/display.js';
import type { Room } from './Room.js';
import type { FakeConnection } from './testing/FakeJanus.js';
import { FakeJanus } from './testing/FakeJanus.js';
import { FakePeerConnection, fakeTrack } from './testing/FakeWebRtc.js';
import type { Recorded } from './testing/roomHarness.js';
import { ROOM_ID, joinFake, recordEvents, settle, waitUntil } from './testing/roomHarness.js';
import type { InitializeOptions } from './types.js';

const rooms: Room[] = [];
afterEach(async () => {
  await Promise.all(rooms.splice(0).map((room) => room.disconnect()));
});

async function join(
  janus: FakeJanus,
  name: string,
  options: Partial<InitializeOptions> = {},
): Promise<Room> {
  const room = await joinFake(janus, { context: JSON.stringify({ name }), ...options });
  rooms.push(room);
  return room;
}

const names = (events: Recorded[]) => events.map((e) => e.name);
const idOf = (room: Room) => room.getState().localParticipantId;

/** Alice publishes 'self'; Bob joins and subscribes to it. */
async function aliceAndBob(janus: FakeJanus, bobOptions: Partial<InitializeOptions> = {}) {
  const alice = await join(janus, 'alice');
  await alice.addStream('self', { audio: fakeTrack('audio'), video: fakeTrack('video') });
  const bob = await join(janus, 'bob', bobOptions);
  await bob.addStream('self', { audio: fakeTrack('audio') });
  await bob.addSubscription(idOf(alice), 'self', { audio: true, video: true });
  return { alice, bob, bobConnection: janus.connections[1]! };
}

/**
 * Drops Bob's connection and keeps the server out of his reach (token `token-bob`) until
 * `letIn()`; resolves once he is reconnecting.
 */
async function dropAndHoldOut(
  janus: FakeJanus,
  bobConnection: FakeConnection,
  bobEvents: Recorded[],
): Promise<{ letIn(): void }> {
  let reachable = false;
  janus.options.refuse = (frame) =>
    frame.client_token === 'token-bob' && !reachable
      ? { status: 503, message: 'unavailable', close: 1011 }
      : undefined;
  bobConnection.drop(1006);
  await waitUntil(() => names(bobEvents).includes('reconnecting'));
  return {
    letIn: () => {
      reachable = true;
    },
  };
}

/** Client frames of the plugin requests a connection sent, decoded displays included. */
function rosterJoins(janus: FakeJanus, index: number) {
  return janus
    .bodies(janus.connections[index]!, 'join')
    .map((body) => decodeDisplay(body.display))
    .filter((info) => info !== undefined && info.stream === undefined && 'external' in info);
}

describe('reconnection after a network drop', () => {
  it('rejoins with the same participant id, publishes again and restarts subscriptions', async () => {
    const janus = new FakeJanus();
    const { alice, bob, bobConnection } = await aliceAndBob(janus);
    const bobId = idOf(bob);
    const streamId = bob.getLocalStreams().self?.id;
    const oldVideo = bob.getParticipantStream(idOf(alice), 'self')?.videoTrack;
    const oldMix = bob.getState().mixedAudioTrack;
    const bobEvents = recordEvents(bob);
    const aliceEvents = recordEvents(alice);
    const statuses: string[] = [];
    bob.on('state_changed', (state) => statuses.push(state.status));

    bobConnection.drop(1006);
    await waitUntil(() => names(bobEvents).includes('reconnected'));

    expect(bobEvents).toEqual([
      { name: 'reconnecting', args: [1, 'network_error', '<state>'] },
      { name: 'subscription_started', args: [idOf(alice), 'self', '<state>'] },
      { name: 'reconnected', args: ['<state>'] },
    ]);
    expect(statuses[0]).toBe('connecting');
    expect(statuses.at(-1)).toBe('connected');
    // Same participant, same stream, new media.
    const state = bob.getState();
    expect(state.localParticipantId).toBe(bobId);
    expect(rosterJoins(janus, 2)).toEqual([
      { participantId: bobId, external: '{"name":"bob"}', canReceiveMessages: false },
    ]);
    expect(bob.getLocalStreams().self).toMatchObject({ id: streamId, isConfigured: true });
    const stream = bob.getParticipantStream(idOf(alice), 'self');
    expect(stream?.isConfigured).toBe(true);
    expect(stream?.videoTrack).toBeDefined();
    expect(stream?.videoTrack).not.toBe(oldVideo);
    expect(state.mixedAudioTrack).toBeDefined();
    expect(state.mixedAudioTrack).not.toBe(oldMix);
    expect(state.subscriptions.get(idOf(alice))?.get('self')).toMatchObject({
      audio: true,
      video: true,
    });

    // Alice saw Bob go and come back under the same id, with his stream.
    await waitUntil(() => names(aliceEvents).includes('stream_published'));
    expect(names(aliceEvents)).toEqual(
      expect.arrayContaining([
        'participant_leaving',
        'participant_left',
        'participant_joined',
        'stream_published',
      ]),
    );
    expect(names(aliceEvents).indexOf('participant_left')).toBeLessThan(
      names(aliceEvents).indexOf('participant_joined'),
    );
    expect(alice.getState().participants.get(bobId)?.streams.self).toBe(streamId);
  });

  it('keeps the simulcast layer a subscription had chosen', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await alice.addStream('self', {
      audio: fakeTrack('audio'),
      video: { track: fakeTrack('video'), options: { enableSimulcast: true } },
    });
    const bob = await join(janus, 'bob');
    await bob.addSubscription(idOf(alice), 'self', { audio: false, video: true, layer: 'low' });
    await bob.updateSubscription(idOf(alice), 'self', {
      audio: false,
      video: true,
      layer: 'medium',
    });
    const events = recordEvents(bob);

    janus.connections[1]!.drop(1006);
    await waitUntil(() => names(events).includes('reconnected'));

    // The old subscriber handle went with the old session: this is the new one's request.
    expect(janus.subscriberConfigures()).toEqual([
      {
        request: 'configure',
        streams: [
          { mid: '0', send: false },
          { mid: '1', send: true, substream: 1 },
        ],
      },
    ]);
  });

  it('announces who came and went while it was away', async () => {
    const janus = new FakeJanus();
    const { alice, bob, bobConnection } = await aliceAndBob(janus, {
      clientToken: 'token-bob',
      reconnect: { maxAttempts: 100, initialDelayMs: 5, maxDelayMs: 10 },
    });
    const aliceId = idOf(alice);
    const bobEvents = recordEvents(bob);
    // The server stays out of Bob's reach until Carol has arrived and Alice has left.
    const server = await dropAndHoldOut(janus, bobConnection, bobEvents);
    const carol = await join(janus, 'carol');
    await carol.addStream('screen', { video: fakeTrack('video') });
    await alice.disconnect();
    server.letIn();
    await waitUntil(() => names(bobEvents).includes('reconnected'));

    const carolId = idOf(carol);
    const afterAttempts = bobEvents.filter((e) => e.name !== 'reconnecting');
    expect(afterAttempts).toEqual([
      { name: 'subscription_ended', args: [aliceId, 'self', '<state>'] },
      { name: 'stream_unpublished', args: [aliceId, 'self', '<state>'] },
      { name: 'participant_leaving', args: [aliceId, null, '<state>'] },
      { name: 'participant_left', args: [aliceId, '<state>'] },
      { name: 'participant_joined', args: [carolId, '<state>'] },
      { name: 'stream_published', args: [carolId, 'screen', '<state>'] },
      { name: 'reconnected', args: ['<state>'] },
    ]);
    const attempts = bobEvents.filter((e) => e.name === 'reconnecting').map((e) => e.args[0]);
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts).toEqual(attempts.map((_, i) => i + 1));
    expect([...bob.getState().participants.keys()].sort()).toEqual([idOf(bob), carolId].sort());
  });

  it('tells of a phone caller muted while it was away', async () => {
    const janus = new FakeJanus();
    const { alice, bob, bobConnection } = await aliceAndBob(janus, {
      clientToken: 'token-bob',
      reconnect: { maxAttempts: 100, initialDelayMs: 5, maxDelayMs: 10 },
    });
    // The phone bridge's leg lives on a connection of its own, not Bob's.
    const leg = janus.joinAudioBridge(janus.connections[0], ROOM_ID, {
      participantId: 'call-1',
      telephonyEngineParticipant: true,
      stream: { id: 'leg-1', key: 'audiobridge', isAudioEnabled: true, isVideoEnabled: false },
    });
    await waitUntil(() => bob.getState().participants.has('call-1'));
    const bobEvents = recordEvents(bob);
    const server = await dropAndHoldOut(janus, bobConnection, bobEvents);
    janus.muteAudioBridgeLeg(ROOM_ID, leg, true);
    server.letIn();
    await waitUntil(() => names(bobEvents).includes('reconnected'));

    expect(bobEvents.filter((e) => e.name !== 'reconnecting')).toEqual([
      { name: 'track_censored', args: ['call-1', 'audiobridge', 'audio', '<state>'] },
      { name: 'subscription_started', args: [idOf(alice), 'self', '<state>'] },
      { name: 'reconnected', args: ['<state>'] },
    ]);
    expect(bob.getState().participants.get('call-1')?.isAudioCensored).toBe(true);
  });

  it('notices a dead connection by unanswered keepalives and reconnects', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    bobConnection.blackhole = true;
    await waitUntil(() => names(events).includes('reconnected'), 3_000);
    expect(events[0]).toEqual({ name: 'reconnecting', args: [1, 'network_error', '<state>'] });
  });

  it('rejoins when a media connection fails while signalling still works', async () => {
    const janus = new FakeJanus();
    const { bob } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    const connections = janus.connections.length;
    const subscriberPc = [...FakePeerConnection.byId.values()].at(-1);
    subscriberPc?.fail();
    await waitUntil(() => names(events).includes('reconnected'));
    expect(events[0]).toEqual({ name: 'reconnecting', args: [1, 'network_error', '<state>'] });
    expect(janus.connections.length).toBe(connections + 1);
    expect(janus.requests(janus.connections[connections - 1]!, 'destroy')).toHaveLength(1);
  });

  it('gives up after its attempts: "disconnected" with network_error', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    janus.options.refuse = (frame) =>
      frame.janus === 'create' ? { status: 503, message: 'unavailable', close: 1011 } : undefined;
    bobConnection.drop(1012);
    await waitUntil(() => names(events).includes('disconnected'));
    expect(names(events)).toEqual([
      'reconnecting',
      'reconnecting',
      'reconnecting',
      'reconnecting',
      'disconnected',
    ]);
    expect(events.at(-1)?.args[0]).toBe('network_error');
    expect(bob.getState().status).toBe('disconnected');
  });

  it('stops at once when the token is no longer accepted', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    janus.options.refuse = () => ({ status: 401, message: 'token expired', close: 4001 });
    bobConnection.drop(1006);
    await waitUntil(() => names(events).includes('disconnected'));
    expect(names(events)).toEqual(['reconnecting', 'disconnected']);
    expect(events.at(-1)?.args[0]).toBe('unauthorized');
  });

  it('stops at once when the participant is refused, as after a moderator kick', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    janus.options.refuse = () => ({ status: 403, message: 'removed by a moderator' });
    bobConnection.drop(1006);
    await waitUntil(() => names(events).includes('disconnected'));
    expect(names(events)).toEqual(['reconnecting', 'disconnected']);
    expect(events.at(-1)?.args[0]).toBe('forbidden');
  });

  it('uses the latest client token to reconnect', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    await bob.updateClientToken('token-2');
    expect(janus.requests(bobConnection, 'keepalive').at(-1)?.client_token).toBe('token-2');
    bobConnection.drop(1006);
    await waitUntil(() => names(events).includes('reconnected'));
    for (const frame of janus.requests(janus.last)) {
      expect(frame.client_token).toBe('token-2');
    }
  });

  it('does not reconnect after the room was deleted, nor when told not to', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus);
    const events = recordEvents(bob);
    bobConnection.drop(4000);
    await waitUntil(() => events.length > 0);
    expect(events).toEqual([{ name: 'disconnected', args: ['session_terminated', '<state>'] }]);

    const carol = await join(janus, 'carol', { reconnect: false });
    const carolEvents = recordEvents(carol);
    janus.last.drop(1006);
    await waitUntil(() => carolEvents.length > 0);
    expect(carolEvents).toEqual([{ name: 'disconnected', args: ['network_error', '<state>'] }]);
  });

  it('stops reconnecting when the app disconnects', async () => {
    const janus = new FakeJanus();
    const { bob, bobConnection } = await aliceAndBob(janus, {
      reconnect: { maxAttempts: 100, initialDelayMs: 20, maxDelayMs: 20 },
    });
    const events = recordEvents(bob);
    janus.options.refuse = (frame) =>
      frame.janus === 'create' ? { status: 503, message: 'unavailable', close: 1011 } : undefined;
    bobConnection.drop(1006);
    await waitUntil(() => names(events).includes('reconnecting'));
    await bob.disconnect();
    const connections = janus.connections.length;
    await settle(100);
    expect(events.at(-1)).toEqual({ name: 'disconnected', args: ['user_initiated', '<state>'] });
    expect(names(events).filter((n) => n === 'disconnected')).toHaveLength(1);
    expect(janus.connections.length).toBe(connections);
  });
});
