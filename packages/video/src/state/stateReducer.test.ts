import { describe, expect, it } from 'vitest';
import type { Participant, Stream } from '../types.js';
import { remoteStream } from '../testing/fixtures.js';
import { initialState, reduceState } from './stateReducer.js';

const local: Participant = {
  id: 'me',
  context: '{"name":"me"}',
  streams: {},
  canReceiveMessages: true,
  origin: 'local',
};
const bob: Participant = {
  id: 'bob',
  context: undefined,
  streams: {},
  canReceiveMessages: false,
  origin: 'remote',
};
const bobSelf: Stream = remoteStream({ id: 'stream-1', participantId: 'bob' });

function withBobPublishing() {
  let state = initialState(local);
  state = reduceState(state, { type: 'add_participant', payload: bob });
  return reduceState(state, { type: 'add_stream', payload: bobSelf });
}

describe('the room state', () => {
  it('starts "initialized" with the local participant alone, in the shapes of @telnyx/video', () => {
    const state = initialState(local);
    expect(Object.keys(state).sort()).toEqual(
      [
        'status',
        'localParticipantId',
        'participants',
        'streams',
        'subscriptions',
        'mixedAudioTrack',
      ].sort(),
    );
    expect(state.status).toBe('initialized');
    expect(state.localParticipantId).toBe('me');
    expect([...state.participants.values()]).toEqual([local]);
    expect(Object.keys(state.participants.get('me')!).sort()).toEqual(
      ['id', 'context', 'streams', 'canReceiveMessages', 'origin'].sort(),
    );
    expect(state.streams.size).toBe(0);
    expect(state.subscriptions.size).toBe(0);
  });

  it('adds a stream under its participant by key', () => {
    const state = withBobPublishing();
    expect(state.participants.get('bob')?.streams).toEqual({ self: 'stream-1' });
    expect(state.streams.get('stream-1')).toEqual(bobSelf);
    expect(Object.keys(state.streams.get('stream-1')!).sort()).toEqual(
      [
        'id',
        'key',
        'participantId',
        'origin',
        'isAudioEnabled',
        'isVideoEnabled',
        'isAudioCensored',
        'isVideoCensored',
        'audioTrack',
        'videoTrack',
        'isConfigured',
      ].sort(),
    );
  });

  it('is immutable: objects are frozen and maps refuse changes', () => {
    const state = withBobPublishing();
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state.participants.get('bob'))).toBe(true);
    expect(Object.isFrozen(state.participants.get('bob')?.streams)).toBe(true);
    expect(Object.isFrozen(state.streams.get('stream-1'))).toBe(true);
    expect(() => (state.participants as Map<string, Participant>).set('x', bob)).toThrow(TypeError);
    expect(() => (state.streams as Map<string, Stream>).delete('stream-1')).toThrow(TypeError);
    expect(() => (state.streams as Map<string, Stream>).clear()).toThrow(TypeError);
    expect(() => {
      (state as { status: string }).status = 'connected';
    }).toThrow(TypeError);
  });

  it('never changes the previous state and shares what an action does not touch', () => {
    const before = withBobPublishing();
    const after = reduceState(before, {
      type: 'update_stream',
      payload: { id: 'stream-1', props: { isVideoEnabled: false } },
    });
    expect(before.streams.get('stream-1')?.isVideoEnabled).toBe(true);
    expect(after.streams.get('stream-1')?.isVideoEnabled).toBe(false);
    expect(after.participants).toBe(before.participants);
    expect(after.subscriptions).toBe(before.subscriptions);
    expect(after.streams).not.toBe(before.streams);
    const same = reduceState(after, { type: 'status_changed', payload: 'initialized' });
    expect(same).toBe(after);
  });

  it('keeps subscriptions by participant and key, and drops a participant entry when its last goes', () => {
    let state = withBobPublishing();
    state = reduceState(state, {
      type: 'add_subscription',
      payload: { id: 'sub-1', participantId: 'bob', key: 'self', audio: true, video: true },
    });
    expect(state.subscriptions.get('bob')?.get('self')).toEqual({
      id: 'sub-1',
      participantId: 'bob',
      key: 'self',
      audio: true,
      video: true,
    });
    state = reduceState(state, {
      type: 'update_subscription',
      payload: { participantId: 'bob', key: 'self', props: { audio: false } },
    });
    expect(state.subscriptions.get('bob')?.get('self')?.audio).toBe(false);
    state = reduceState(state, {
      type: 'remove_subscription',
      payload: { participantId: 'bob', key: 'self' },
    });
    expect(state.subscriptions.has('bob')).toBe(false);
  });

  it('removes a stream from its participant', () => {
    const state = reduceState(withBobPublishing(), {
      type: 'remove_stream',
      payload: { id: 'stream-1' },
    });
    expect(state.streams.size).toBe(0);
    expect(state.participants.get('bob')?.streams).toEqual({});
  });

  it('throws on updates that do not fit, as those are bugs', () => {
    const state = initialState(local);
    expect(() => reduceState(state, { type: 'add_stream', payload: bobSelf })).toThrow(
      /no participant/,
    );
    expect(() =>
      reduceState(state, {
        type: 'update_stream',
        payload: { id: 'nope', props: { isConfigured: true } },
      }),
    ).toThrow(/no stream/);
    expect(() =>
      reduceState(state, { type: 'remove_participant', payload: { id: 'bob' } }),
    ).toThrow();
  });

  it('resets to the local participant without streams, and drops the others for a reconnection', () => {
    let state = withBobPublishing();
    state = reduceState(state, {
      type: 'add_stream',
      payload: { ...bobSelf, id: 'mine', participantId: 'me', origin: 'local', isConfigured: true },
    });
    const dropped = reduceState(state, { type: 'drop_remote' });
    expect([...dropped.participants.keys()]).toEqual(['me']);
    expect([...dropped.streams.keys()]).toEqual(['mine']);
    expect(dropped.streams.get('mine')?.isConfigured).toBe(false);
    const reset = reduceState(state, { type: 'reset', payload: { status: 'disconnected' } });
    expect(reset.status).toBe('disconnected');
    expect(reset.participants.get('me')?.streams).toEqual({});
    expect(reset.streams.size).toBe(0);
  });
});
