import { afterEach, describe, expect, it } from 'vitest';
import { decodeDisplay } from './janus/display.js';
import type { Room } from './Room.js';
import { FakeJanus } from './testing/FakeJanus.js';
import { fakeTrack } from './testing/FakeWebRtc.js';
import type { Recorded } from './testing/roomHarness.js';
import {
  ROOM_ID,
  initializeFake,
  joinFake,
  recordEvents,
  settle,
  waitUntil,
} from './testing/roomHarness.js';
import type { State } from './types.js';
import { VideoError } from './VideoError.js';

const rooms: Room[] = [];
afterEach(async () => {
  await Promise.all(rooms.splice(0).map((room) => room.disconnect()));
});

async function join(janus: FakeJanus, name: string, enableMessages = false): Promise<Room> {
  const room = await joinFake(janus, { context: JSON.stringify({ name }), enableMessages });
  rooms.push(room);
  return room;
}

const names = (events: Recorded[]) => events.map((e) => e.name);

/** Publishes camera and microphone as 'self'. */
async function publishSelf(room: Room, options?: { enableSimulcast?: boolean }) {
  const audio = fakeTrack('audio');
  const video = fakeTrack('video');
  await room.addStream('self', {
    audio,
    video: options === undefined ? video : { track: video, options },
  });
  return { audio, video };
}

describe('a room', () => {
  it('connects: registers, listens for streams, receives the mix, then "connected"', async () => {
    const janus = new FakeJanus();
    const room = await initializeFake(janus, { context: '{"name":"alice"}' });
    rooms.push(room);
    const events = recordEvents(room, true);
    const statuses: State['status'][] = [];
    room.on('state_changed', (state) => statuses.push(state.status));
    expect(room.getState().status).toBe('initialized');
    expect(room.id).toBe(ROOM_ID);

    await room.connect();

    expect(names(events).at(-2)).toBe('state_changed');
    expect(names(events).at(-1)).toBe('connected');
    expect(statuses[0]).toBe('connecting');
    expect(statuses.at(-1)).toBe('connected');
    const state = room.getState();
    expect(state.status).toBe('connected');
    expect(state.mixedAudioTrack?.kind).toBe('audio');
    expect(room.getLocalParticipant()).toEqual({
      id: state.localParticipantId,
      context: '{"name":"alice"}',
      streams: {},
      canReceiveMessages: false,
      origin: 'local',
    });

    // On the wire: the roster join (muted), the stream listener, the mixer leg.
    const bodies = janus.bodies(janus.last);
    expect(bodies.map((b) => b.request)).toEqual(['join', 'join', 'join', 'configure']);
    expect(bodies[0]).toMatchObject({ room: ROOM_ID, muted: true });
    expect(decodeDisplay(bodies[0]?.display)).toEqual({
      participantId: state.localParticipantId,
      external: '{"name":"alice"}',
      canReceiveMessages: false,
    });
    expect(bodies[1]).toMatchObject({ room: ROOM_ID, ptype: 'publisher' });
    expect(decodeDisplay(bodies[1]?.display)).toEqual({ participantId: state.localParticipantId });
    expect(bodies[2]).toMatchObject({ room: ROOM_ID, muted: false });
    expect(decodeDisplay(bodies[2]?.display)?.stream).toMatchObject({
      key: 'audiobridge',
      isAudioEnabled: true,
    });
    expect(janus.requests(janus.last, 'attach').map((f) => f.plugin)).toEqual([
      'janus.plugin.audiobridge',
      'janus.plugin.videoroom',
      'janus.plugin.audiobridge',
    ]);
    for (const frame of janus.requests(janus.last)) {
      expect(frame.client_token).toBe('token-1');
    }
  });

  it('shows those already there in the state without events, and announces who comes later', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await publishSelf(alice);
    const aliceEvents = recordEvents(alice);
    const bob = await initializeFake(janus, { context: '{"name":"bob"}' });
    rooms.push(bob);
    const bobEvents = recordEvents(bob);
    await bob.connect();
    await waitUntil(() => aliceEvents.length > 0);

    const aliceId = alice.getState().localParticipantId;
    const bobId = bob.getState().localParticipantId;
    expect(names(bobEvents)).toEqual(['connected']);
    expect(bob.getState().participants.get(aliceId)).toEqual({
      id: aliceId,
      context: '{"name":"alice"}',
      streams: { self: expect.any(String) },
      canReceiveMessages: false,
      origin: 'remote',
    });
    expect(bob.getParticipantStream(aliceId, 'self')).toMatchObject({
      key: 'self',
      participantId: aliceId,
      origin: 'remote',
      isAudioEnabled: true,
      isVideoEnabled: true,
      isConfigured: false,
    });
    expect(aliceEvents).toEqual([{ name: 'participant_joined', args: [bobId, '<state>'] }]);
    expect(alice.getState().participants.get(bobId)?.context).toBe('{"name":"bob"}');
  });

  it('publishes a stream: local state first, "stream_published" for everyone', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const bob = await join(janus, 'bob');
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);
    const { audio, video } = await publishSelf(alice);
    await waitUntil(() => bobEvents.length > 0);
    const aliceId = alice.getState().localParticipantId;

    expect(aliceEvents).toEqual([{ name: 'stream_published', args: [aliceId, 'self', '<state>'] }]);
    expect(bobEvents).toEqual([{ name: 'stream_published', args: [aliceId, 'self', '<state>'] }]);
    expect(alice.getLocalStreams()).toEqual({
      self: {
        id: expect.any(String),
        key: 'self',
        participantId: aliceId,
        origin: 'local',
        audioTrack: audio,
        videoTrack: video,
        isAudioEnabled: true,
        isVideoEnabled: true,
        isAudioCensored: false,
        isVideoCensored: false,
        isConfigured: true,
      },
    });
    // The stream goes to the VideoRoom; its audio also to the mix.
    const configure = janus.bodies(janus.connections[0]!, 'configure').at(-1);
    expect(configure).toMatchObject({ audio: true, video: true, bitrate: 500_000 });
    expect(decodeDisplay(configure?.display)?.stream).toEqual({
      id: alice.getLocalStreams().self?.id,
      key: 'self',
      isAudioEnabled: true,
      isVideoEnabled: true,
    });
    await expect(alice.addStream('self', { audio })).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('subscribes: tracks enter the state, then "subscription_started"', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await publishSelf(alice);
    const bob = await join(janus, 'bob');
    const aliceId = alice.getState().localParticipantId;
    const events = recordEvents(bob, true);

    await bob.addSubscription(aliceId, 'self', { audio: true, video: true });

    const stream = bob.getParticipantStream(aliceId, 'self');
    expect(stream?.audioTrack?.kind).toBe('audio');
    expect(stream?.videoTrack?.kind).toBe('video');
    expect(stream?.isConfigured).toBe(true);
    expect(bob.getState().subscriptions.get(aliceId)?.get('self')).toEqual({
      id: expect.any(String),
      participantId: aliceId,
      key: 'self',
      audio: true,
      video: true,
    });
    expect(names(events)).toEqual([
      'state_changed', // audio track
      'state_changed', // video track
      'state_changed', // subscription
      'state_changed', // configured
      'subscription_started',
    ]);
    expect(events.at(-1)?.args).toEqual([aliceId, 'self', '<state>']);
    const subscriberJoin = janus.bodies(janus.last, 'join').at(-1);
    expect(subscriberJoin).toMatchObject({
      ptype: 'subscriber',
      streams: [{ feed: expect.any(String) }],
    });
    expect(janus.bodies(janus.last, 'start')).toHaveLength(1);
    await expect(
      bob.addSubscription(aliceId, 'self', { audio: true, video: true }),
    ).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('changes and ends a subscription with events', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await publishSelf(alice);
    const bob = await join(janus, 'bob');
    const aliceId = alice.getState().localParticipantId;
    await bob.addSubscription(aliceId, 'self', { audio: true, video: true });
    const events = recordEvents(bob);

    await bob.updateSubscription(aliceId, 'self', { audio: false, video: true });
    expect(bob.getState().subscriptions.get(aliceId)?.get('self')).toMatchObject({
      audio: false,
      video: true,
    });
    expect(janus.subscriberConfigures().at(-1)).toEqual({
      request: 'configure',
      streams: [
        { mid: '0', send: false },
        { mid: '1', send: true },
      ],
    });

    await bob.removeSubscription(aliceId, 'self');
    expect(bob.getState().subscriptions.size).toBe(0);
    expect(bob.getParticipantStream(aliceId, 'self')).toMatchObject({
      isConfigured: false,
      audioTrack: undefined,
      videoTrack: undefined,
    });
    expect(events).toEqual([
      { name: 'subscription_reconfigured', args: [aliceId, 'self', '<state>'] },
      { name: 'subscription_ended', args: [aliceId, 'self', '<state>'] },
    ]);
    expect(janus.requests(janus.last, 'detach')).toHaveLength(1);
  });

  it('reports track changes: "track_enabled"/"track_disabled" locally and for the others', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const { audio } = await publishSelf(alice);
    const bob = await join(janus, 'bob');
    const aliceId = alice.getState().localParticipantId;
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);

    await alice.updateStream('self', { audio });
    await waitUntil(() => bobEvents.length > 0);

    expect(aliceEvents).toEqual([
      { name: 'track_disabled', args: [aliceId, 'self', 'video', '<state>'] },
    ]);
    expect(bobEvents).toEqual([
      { name: 'track_disabled', args: [aliceId, 'self', 'video', '<state>'] },
    ]);
    expect(bob.getParticipantStream(aliceId, 'self')).toMatchObject({
      isAudioEnabled: true,
      isVideoEnabled: false,
    });
    expect(alice.getLocalStreams().self).toMatchObject({
      videoTrack: undefined,
      isVideoEnabled: false,
      isConfigured: true,
    });
  });

  it('reports a moderator mute as "track_censored" and stops mixing the censored audio', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await publishSelf(alice);
    const bob = await join(janus, 'bob');
    const aliceId = alice.getState().localParticipantId;
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);

    janus.moderate(ROOM_ID, aliceId, 'self', 'audio', true);
    await waitUntil(() => aliceEvents.length > 0 && bobEvents.length > 0);
    await settle();

    const censored = { name: 'track_censored', args: [aliceId, 'self', 'audio', '<state>'] };
    expect(aliceEvents).toEqual([censored]);
    expect(bobEvents).toEqual([censored]);
    expect(alice.getLocalStreams().self?.isAudioCensored).toBe(true);
    expect(bob.getParticipantStream(aliceId, 'self')?.isAudioCensored).toBe(true);
    // The mixer leg now sends nothing (a bare configure follows the track change).
    expect(janus.bodies(janus.connections[0]!, 'configure').at(-1)).toEqual({
      request: 'configure',
    });

    janus.moderate(ROOM_ID, aliceId, 'self', 'audio', false);
    await waitUntil(() => bobEvents.length > 1);
    expect(bobEvents.at(-1)).toEqual({
      name: 'track_uncensored',
      args: [aliceId, 'self', 'audio', '<state>'],
    });
  });

  it('reports talking in the mix as "audio_activity" without a key, and its end', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const bob = await join(janus, 'bob');
    const events = recordEvents(alice);
    const bobId = bob.getState().localParticipantId;
    janus.talkingInMix(ROOM_ID, bobId);
    janus.talkingInMix(ROOM_ID, bobId, false);
    await waitUntil(() => events.length > 1);
    expect(events).toEqual([
      { name: 'audio_activity', args: [bobId, null, '<state>'] },
      { name: 'audio_activity_ended', args: [bobId, null, '<state>'] },
    ]);
  });

  it('shows a phone caller as a participant of origin telephony_engine', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const events = recordEvents(alice);
    janus.joinAudioBridge(undefined, ROOM_ID, {
      participantId: 'call-1',
      telephonyEngineParticipant: true,
      external: '{"phone":"+15550100"}',
      stream: { id: 'leg-1', key: 'audiobridge', isAudioEnabled: true, isVideoEnabled: false },
    });
    await waitUntil(() => events.length > 0);
    expect(events).toEqual([{ name: 'participant_joined', args: ['call-1', '<state>'] }]);
    expect(alice.getState().participants.get('call-1')).toMatchObject({
      origin: 'telephony_engine',
      context: '{"phone":"+15550100"}',
    });
  });

  it('shows a moderator mute of a phone caller: isAudioCensored, then track_censored / track_uncensored', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const leg = janus.joinAudioBridge(undefined, ROOM_ID, {
      participantId: 'call-1',
      telephonyEngineParticipant: true,
      external: '{"phone":"+15550100"}',
      stream: { id: 'leg-1', key: 'audiobridge', isAudioEnabled: true, isVideoEnabled: false },
    });
    await waitUntil(() => alice.getState().participants.has('call-1'));
    expect(alice.getState().participants.get('call-1')?.isAudioCensored).toBe(false);
    // Browsers' censorship is per stream: their participants carry no flag.
    const aliceId = alice.getState().localParticipantId;
    expect(alice.getState().participants.get(aliceId)).not.toHaveProperty('isAudioCensored');
    const events = recordEvents(alice);
    const states: State[] = [];
    alice.on('track_censored', (_id, _key, _kind, state) => states.push(state));

    janus.muteAudioBridgeLeg(ROOM_ID, leg, true);
    await waitUntil(() => events.length > 0);
    expect(events).toEqual([
      { name: 'track_censored', args: ['call-1', 'audiobridge', 'audio', '<state>'] },
    ]);
    expect(states[0]?.participants.get('call-1')).toMatchObject({
      origin: 'telephony_engine',
      isAudioCensored: true,
      streams: {},
    });
    expect(Object.isFrozen(states[0]?.participants.get('call-1'))).toBe(true);

    // Someone joining while the mute holds sees the caller muted from the start.
    const bob = await join(janus, 'bob');
    expect(bob.getState().participants.get('call-1')?.isAudioCensored).toBe(true);

    // The same notice again (Janus repeats settings) is no change.
    janus.muteAudioBridgeLeg(ROOM_ID, leg, true);
    janus.muteAudioBridgeLeg(ROOM_ID, leg, false);
    await waitUntil(() => names(events).includes('track_uncensored'));
    await settle();
    expect(events.filter((e) => e.name.startsWith('track_'))).toEqual([
      { name: 'track_censored', args: ['call-1', 'audiobridge', 'audio', '<state>'] },
      { name: 'track_uncensored', args: ['call-1', 'audiobridge', 'audio', '<state>'] },
    ]);
    expect(alice.getState().participants.get('call-1')?.isAudioCensored).toBe(false);
    expect(alice.getState().streams.size).toBe(0);
  });

  it('delivers a phone caller\'s keys as "message_received", as @telnyx/video does', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice', true);
    janus.joinAudioBridge(undefined, ROOM_ID, {
      participantId: 'call-1',
      telephonyEngineParticipant: true,
      stream: { id: 'leg-1', key: 'audiobridge', isAudioEnabled: true, isVideoEnabled: false },
    });
    await waitUntil(() => alice.getState().participants.has('call-1'));
    const events = recordEvents(alice);
    const received: unknown[] = [];
    alice.on('message_received', (_id, message) => {
      // The type narrows the message: a key has a digit, a text a payload.
      received.push(message.type === 'dtmf' ? message.digit : message.payload);
    });

    // What Palaver's phone bridge posts for each key.
    for (const digit of ['4', '#']) {
      janus.postChat(
        ROOM_ID,
        'call-1',
        JSON.stringify({ message: { type: 'dtmf', digit }, recipients: null }),
      );
    }
    // Not a key: dropped.
    janus.postChat(ROOM_ID, 'call-1', JSON.stringify({ message: { type: 'dtmf', digit: '<b>' } }));
    janus.postChat(ROOM_ID, 'call-1', JSON.stringify({ message: { type: 'dtmf' } }));
    janus.postChat(
      ROOM_ID,
      'call-1',
      JSON.stringify({ message: { type: 'dtmf', digit: '5', x: 1 } }),
    );
    await waitUntil(() => events.length >= 3);
    await settle();

    expect(events).toEqual([
      { name: 'message_received', args: ['call-1', { type: 'dtmf', digit: '4' }, null, '<state>'] },
      { name: 'message_received', args: ['call-1', { type: 'dtmf', digit: '#' }, null, '<state>'] },
      { name: 'message_received', args: ['call-1', { type: 'dtmf', digit: '5' }, null, '<state>'] },
    ]);
    expect(received).toEqual(['4', '#', '5']);
  });

  it('sees a participant leave: subscription, stream, then leaving and left', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const bob = await join(janus, 'bob');
    await publishSelf(bob);
    const bobId = bob.getState().localParticipantId;
    await waitUntil(() => alice.getState().participants.get(bobId)?.streams.self !== undefined);
    await alice.addSubscription(bobId, 'self', { audio: true, video: true });
    const events = recordEvents(alice);
    const bobEvents = recordEvents(bob, true);

    await bob.disconnect();
    await waitUntil(() => names(events).includes('participant_left'));

    // The AudioBridge and VideoRoom tell in either order; "participant_left" waits for the streams.
    expect(events).toHaveLength(4);
    expect(events).toEqual(
      expect.arrayContaining([
        { name: 'subscription_ended', args: [bobId, 'self', '<state>'] },
        { name: 'stream_unpublished', args: [bobId, 'self', '<state>'] },
        { name: 'participant_leaving', args: [bobId, null, '<state>'] },
      ]),
    );
    expect(names(events).indexOf('subscription_ended')).toBeLessThan(
      names(events).indexOf('stream_unpublished'),
    );
    expect(events.at(-1)).toEqual({ name: 'participant_left', args: [bobId, '<state>'] });
    expect(alice.getState().participants.has(bobId)).toBe(false);
    expect(alice.getState().streams.size).toBe(0);
    // Bob: "disconnected" status first, then the cleaned-up state with the reason.
    expect(names(bobEvents)).toEqual(['state_changed', 'disconnected']);
    expect(bobEvents[1]?.args[0]).toBe('user_initiated');
    expect(bob.getState().status).toBe('disconnected');
    expect(bob.getState().streams.size + bob.getState().subscriptions.size).toBe(0);
    expect([...bob.getState().participants.keys()]).toEqual([bobId]);
    // One destroy ends the session and every handle with it.
    expect(janus.requests(janus.connections[1]!, 'destroy')).toHaveLength(1);
    expect(janus.requests(janus.connections[1]!, 'detach')).toHaveLength(0);
    expect(janus.last.closed).toBe(true);
    await bob.disconnect();
  });

  it('is kicked by a moderator: "participant_leaving" with "kicked", then disconnected', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const bob = await join(janus, 'bob');
    const bobId = bob.getState().localParticipantId;
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);
    janus.kick(ROOM_ID, bobId);
    await waitUntil(() => names(bobEvents).includes('disconnected'));
    await waitUntil(() => names(aliceEvents).includes('participant_left'));
    expect(bobEvents).toEqual([
      { name: 'participant_leaving', args: [bobId, 'kicked', '<state>'] },
      { name: 'disconnected', args: ['kicked', '<state>'] },
    ]);
    expect(aliceEvents).toEqual([
      { name: 'participant_leaving', args: [bobId, 'kicked', '<state>'] },
      { name: 'participant_left', args: [bobId, '<state>'] },
    ]);
  });

  it('exchanges chat messages, to everyone and to chosen recipients', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice', true);
    const bob = await join(janus, 'bob', true);
    const carol = await join(janus, 'carol', true);
    const [aliceId, bobId] = [alice, bob].map((room) => room.getState().localParticipantId);
    const bobEvents = recordEvents(bob);
    const carolEvents = recordEvents(carol);
    expect(alice.getLocalParticipant().canReceiveMessages).toBe(true);
    expect(bob.getState().participants.get(aliceId!)?.canReceiveMessages).toBe(true);

    await alice.sendMessage({ type: 'text', payload: 'hello all' });
    await alice.sendMessage({ type: 'text', payload: 'psst', meta: 'm' }, [bobId!]);
    await waitUntil(() => bobEvents.length >= 2 && carolEvents.length >= 1);
    await settle();

    expect(bobEvents).toEqual([
      {
        name: 'message_received',
        args: [aliceId, { type: 'text', payload: 'hello all' }, [], '<state>'],
      },
      {
        name: 'message_received',
        args: [aliceId, { type: 'text', payload: 'psst', meta: 'm' }, [bobId], '<state>'],
      },
    ]);
    expect(carolEvents).toEqual([
      {
        name: 'message_received',
        args: [aliceId, { type: 'text', payload: 'hello all' }, [], '<state>'],
      },
    ]);
    const channelJoin = janus.requests(janus.connections[0]!, 'attach')[0];
    expect(channelJoin?.plugin).toBe('janus.plugin.textroom');
    await expect(alice.sendMessage({ type: 'html', payload: 'x' } as never)).rejects.toBeInstanceOf(
      VideoError,
    );
  });

  it('refuses chat without enableMessages and subscriptions to unknown participants, with typed errors', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await expect(alice.sendMessage({ type: 'text', payload: 'x' })).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await expect(
      alice.addSubscription('nobody', 'self', { audio: true, video: true }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(alice.removeStream('self')).rejects.toMatchObject({ code: 'invalid_state' });
    expect(() => alice.getParticipantStreams('nobody')).toThrow(VideoError);
  });

  it('publishes three simulcast layers, and lets each subscriber choose one', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await publishSelf(alice, { enableSimulcast: true });
    const aliceId = alice.getState().localParticipantId;
    expect(janus.offeredRids(aliceId, 'self')).toEqual(['h', 'm', 'l']);
    expect(janus.bodies(janus.connections[0]!, 'configure').at(-1)).toMatchObject({
      bitrate: 800_000,
    });

    const bob = await join(janus, 'bob');
    await bob.addSubscription(aliceId, 'self', { audio: true, video: true, layer: 'low' });
    expect(janus.subscriberConfigures().at(-1)).toEqual({
      request: 'configure',
      streams: [
        { mid: '0', send: true },
        { mid: '1', send: true, substream: 0 },
      ],
    });
    await bob.updateSubscription(aliceId, 'self', { audio: true, video: true, layer: 'high' });
    expect(janus.subscriberConfigures().at(-1)?.streams).toContainEqual({
      mid: '1',
      send: true,
      substream: 2,
    });
    await expect(
      bob.updateSubscription(aliceId, 'self', {
        audio: true,
        video: true,
        layer: 'ultra' as never,
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('removes a local stream: "stream_unpublished" here and there', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const bob = await join(janus, 'bob');
    await publishSelf(alice);
    const aliceId = alice.getState().localParticipantId;
    await waitUntil(() => bob.getParticipantStream(aliceId, 'self') !== undefined);
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);
    await alice.removeStream('self');
    await waitUntil(() => bobEvents.length > 0);
    expect(aliceEvents).toEqual([
      { name: 'stream_unpublished', args: [aliceId, 'self', '<state>'] },
    ]);
    expect(bobEvents).toEqual([{ name: 'stream_unpublished', args: [aliceId, 'self', '<state>'] }]);
    expect(alice.getLocalStreams()).toEqual({});
  });

  it('keeps working when an app listener throws', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    alice.on('participant_joined', () => {
      throw new Error('app bug');
    });
    const events = recordEvents(alice);
    const bob = await join(janus, 'bob');
    await waitUntil(() => events.length > 0);
    await publishSelf(bob);
    await waitUntil(() => events.length > 1);
    expect(names(events)).toEqual(['participant_joined', 'stream_published']);
  });

  it('gives WebRTC stats of a published stream and of a subscription', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    await publishSelf(alice);
    const bob = await join(janus, 'bob');
    const aliceId = alice.getState().localParticipantId;
    expect(await alice.getWebRTCStatsForStream(aliceId, 'self')).toEqual({
      senders: {
        audio: { 'out-audio': { id: 'out-audio', type: 'outbound-rtp' } },
        video: { 'out-video': { id: 'out-video', type: 'outbound-rtp' } },
      },
      receivers: {},
    });
    expect(await bob.getWebRTCStatsForStream(aliceId, 'self')).toEqual({
      senders: {},
      receivers: {},
    });
    await bob.addSubscription(aliceId, 'self', { audio: true, video: true });
    const stats = await bob.getWebRTCStatsForStream(aliceId, 'self');
    expect(Object.keys(stats.receivers).sort()).toEqual(['audio', 'video']);
  });

  it('fails to connect when the gateway forbids the registration: "disconnected" with forbidden', async () => {
    const janus = new FakeJanus({
      refuse: (frame) =>
        frame.janus === 'message' && (frame.body as { request?: string }).request === 'join'
          ? { status: 403, message: 'room is full' }
          : undefined,
    });
    const room = await initializeFake(janus);
    const events = recordEvents(room);
    await expect(room.connect()).rejects.toMatchObject({
      code: 'forbidden',
      message: 'room is full',
    });
    expect(events).toEqual([{ name: 'disconnected', args: ['forbidden', '<state>'] }]);
    expect(room.getState().status).toBe('disconnected');
    await expect(room.connect()).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('ends with the server: a deleted room closes with 4000, "session_terminated"', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const events = recordEvents(alice);
    janus.last.drop(4000, 'room deleted');
    await waitUntil(() => events.length > 0);
    expect(events).toEqual([{ name: 'disconnected', args: ['session_terminated', '<state>'] }]);
  });

  it('reports network metrics for chosen participants', async () => {
    const janus = new FakeJanus();
    const alice = await join(janus, 'alice');
    const bob = await join(janus, 'bob');
    const reports: unknown[] = [];
    alice.on('network_metrics_report', (metrics) => reports.push(metrics));
    const ids = [alice, bob].map((room) => room.getState().localParticipantId);
    await alice.enableNetworkMetricsReport(ids);
    expect(reports).toEqual([
      { [ids[0]!]: { connectionQuality: 5 }, [ids[1]!]: { connectionQuality: 5 } },
    ]);
    await alice.disableNetworkMetricsReport();
  });
});
