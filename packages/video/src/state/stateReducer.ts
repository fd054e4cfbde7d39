import type { Participant, State, Stream, Subscription } from '../types.js';
import { FrozenMap, withEntry, withoutEntry } from './FrozenMap.js';

/** Every change of the room state. Names follow `@telnyx/video`'s own actions. */
export type StateAction =
  | { type: 'status_changed'; payload: State['status'] }
  | { type: 'add_participant'; payload: Participant }
  | {
      type: 'update_participant';
      payload: {
        id: string;
        props: Partial<Pick<Participant, 'canReceiveMessages' | 'isAudioCensored'>>;
      };
    }
  | { type: 'remove_participant'; payload: { id: string } }
  | { type: 'update_mixed_audio_track'; payload: MediaStreamTrack | undefined }
  | { type: 'add_stream'; payload: Stream }
  | { type: 'update_stream'; payload: { id: string; props: StreamProps } }
  | { type: 'remove_stream'; payload: { id: string } }
  | { type: 'add_subscription'; payload: Subscription }
  | {
      type: 'update_subscription';
      payload: {
        participantId: string;
        key: string;
        props: Partial<Pick<Subscription, 'audio' | 'video'>>;
      };
    }
  | { type: 'remove_subscription'; payload: { participantId: string; key: string } }
  /** Back to the local participant alone, without streams (after a disconnection). */
  | { type: 'reset'; payload: { status: State['status'] } }
  /** Forget everyone else and every subscription; local streams wait to be published again. */
  | { type: 'drop_remote' };

export type StreamProps = Partial<
  Pick<
    Stream,
    | 'audioTrack'
    | 'videoTrack'
    | 'isAudioEnabled'
    | 'isVideoEnabled'
    | 'isAudioCensored'
    | 'isVideoCensored'
    | 'isConfigured'
  >
>;

/** The state of a new room: only the local participant. */
export function initialState(localParticipant: Participant): State {
  return freezeState({
    status: 'initialized',
    localParticipantId: localParticipant.id,
    participants: new FrozenMap([[localParticipant.id, freezeParticipant(localParticipant)]]),
    streams: new FrozenMap(),
    subscriptions: new FrozenMap(),
    mixedAudioTrack: undefined,
  });
}

/**
 * The next state. Pure: `state` is never changed, and parts an action does not touch are shared
 * with the result. Throws on actions that do not fit the state (a stream of an unknown
 * participant, an update of a missing stream), as those are bugs.
 */
export function reduceState(state: State, action: StateAction): State {
  switch (action.type) {
    case 'status_changed':
      return state.status === action.payload
        ? state
        : freezeState({ ...state, status: action.payload });
    case 'add_participant':
      return freezeState({
        ...state,
        participants: withEntry(
          state.participants,
          action.payload.id,
          freezeParticipant(action.payload),
        ),
      });
    case 'update_participant': {
      const participant = mustGet(state.participants, action.payload.id, 'participant');
      return freezeState({
        ...state,
        participants: withEntry(
          state.participants,
          participant.id,
          freezeParticipant({ ...participant, ...action.payload.props }),
        ),
      });
    }
    case 'remove_participant': {
      mustGet(state.participants, action.payload.id, 'participant');
      return freezeState({
        ...state,
        participants: withoutEntry(state.participants, action.payload.id),
      });
    }
    case 'update_mixed_audio_track':
      return freezeState({ ...state, mixedAudioTrack: action.payload });
    case 'add_stream': {
      const stream = action.payload;
      const participant = mustGet(state.participants, stream.participantId, 'participant');
      return freezeState({
        ...state,
        participants: withEntry(
          state.participants,
          participant.id,
          freezeParticipant({
            ...participant,
            streams: { ...participant.streams, [stream.key]: stream.id },
          }),
        ),
        streams: withEntry(state.streams, stream.id, Object.freeze({ ...stream })),
      });
    }
    case 'update_stream': {
      const stream = mustGet(state.streams, action.payload.id, 'stream');
      return freezeState({
        ...state,
        streams: withEntry(
          state.streams,
          stream.id,
          Object.freeze({ ...stream, ...action.payload.props }),
        ),
      });
    }
    case 'remove_stream': {
      const stream = mustGet(state.streams, action.payload.id, 'stream');
      const participant = state.participants.get(stream.participantId);
      let participants = state.participants;
      if (participant !== undefined && participant.streams[stream.key] === stream.id) {
        const streams = { ...participant.streams };
        delete streams[stream.key];
        participants = withEntry(
          participants,
          participant.id,
          freezeParticipant({ ...participant, streams }),
        );
      }
      return freezeState({
        ...state,
        participants,
        streams: withoutEntry(state.streams, stream.id),
      });
    }
    case 'add_subscription': {
      const subscription = action.payload;
      mustGet(state.participants, subscription.participantId, 'participant');
      const byKey = state.subscriptions.get(subscription.participantId) ?? new FrozenMap();
      return freezeState({
        ...state,
        subscriptions: withEntry(
          state.subscriptions,
          subscription.participantId,
          withEntry(byKey, subscription.key, Object.freeze({ ...subscription })),
        ),
      });
    }
    case 'update_subscription': {
      const { participantId, key, props } = action.payload;
      const byKey = state.subscriptions.get(participantId);
      const subscription = byKey?.get(key);
      if (byKey === undefined || subscription === undefined) {
        throw new Error(`invalid state update: no subscription [${participantId}/${key}]`);
      }
      return freezeState({
        ...state,
        subscriptions: withEntry(
          state.subscriptions,
          participantId,
          withEntry(byKey, key, Object.freeze({ ...subscription, ...props })),
        ),
      });
    }
    case 'remove_subscription': {
      const { participantId, key } = action.payload;
      const byKey = state.subscriptions.get(participantId);
      if (byKey === undefined || !byKey.has(key)) {
        return state;
      }
      const rest = withoutEntry(byKey, key);
      return freezeState({
        ...state,
        subscriptions:
          rest.size === 0
            ? withoutEntry(state.subscriptions, participantId)
            : withEntry(state.subscriptions, participantId, rest),
      });
    }
    case 'reset': {
      const local = mustGet(state.participants, state.localParticipantId, 'participant');
      return freezeState({
        status: action.payload.status,
        localParticipantId: local.id,
        participants: new FrozenMap([[local.id, freezeParticipant({ ...local, streams: {} })]]),
        streams: new FrozenMap(),
        subscriptions: new FrozenMap(),
        mixedAudioTrack: undefined,
      });
    }
    case 'drop_remote': {
      const local = mustGet(state.participants, state.localParticipantId, 'participant');
      const streams = [...state.streams.values()]
        .filter((stream) => stream.participantId === local.id)
        .map((stream) => [stream.id, Object.freeze({ ...stream, isConfigured: false })] as const);
      return freezeState({
        ...state,
        participants: new FrozenMap([[local.id, local]]),
        streams: new FrozenMap(streams),
        subscriptions: new FrozenMap(),
        mixedAudioTrack: undefined,
      });
    }
  }
}

function mustGet<V>(map: ReadonlyMap<string, V>, id: string, what: string): V {
  const value = map.get(id);
  if (value === undefined) {
    throw new Error(`invalid state update: no ${what} [id:${id}]`);
  }
  return value;
}

function freezeParticipant(participant: Participant): Participant {
  return Object.freeze({ ...participant, streams: Object.freeze({ ...participant.streams }) });
}

function freezeState(state: State): State {
  return Object.freeze(state);
}
