import type {
  Events as TelnyxEvents,
  Participant as TelnyxParticipant,
  Stream as TelnyxStream,
  State as TelnyxState,
} from '@telnyx/video';
import { describe, expectTypeOf, it } from 'vitest';
import type { DtmfMessage, Events, Participant, State, Stream } from './types.js';

/** A callback's arguments without the trailing state. */
type ArgsBeforeState<F> = F extends (...args: infer A) => void
  ? A extends [...infer Head, unknown]
    ? Head
    : never
  : never;

describe('the public types', () => {
  it('name the same events as @telnyx/video 1.0.2, plus reconnection and the end of talking', () => {
    expectTypeOf<
      Exclude<keyof Events, 'reconnecting' | 'reconnected' | 'audio_activity_ended'>
    >().toEqualTypeOf<keyof TelnyxEvents>();
    expectTypeOf<ArgsBeforeState<Events['audio_activity_ended']>>().toEqualTypeOf<
      ArgsBeforeState<Events['audio_activity']>
    >();
  });

  it('give every callback the same arguments before the state', () => {
    expectTypeOf<ArgsBeforeState<Events['participant_leaving']>>().toEqualTypeOf<
      ArgsBeforeState<TelnyxEvents['participant_leaving']>
    >();
    expectTypeOf<ArgsBeforeState<Events['track_censored']>>().toEqualTypeOf<
      ArgsBeforeState<TelnyxEvents['track_censored']>
    >();
    expectTypeOf<ArgsBeforeState<Events['audio_activity']>>().toEqualTypeOf<
      ArgsBeforeState<TelnyxEvents['audio_activity']>
    >();
    // The message also names what 1.0.2 delivers untyped: a phone caller's keys.
    type TelnyxMessageArgs = ArgsBeforeState<TelnyxEvents['message_received']>;
    expectTypeOf<ArgsBeforeState<Events['message_received']>>().toEqualTypeOf<
      [TelnyxMessageArgs[0], TelnyxMessageArgs[1] | DtmfMessage, TelnyxMessageArgs[2]]
    >();
    // Every other event at once (DisconnectionReason is an enum there, a string union here).
    type Common = Exclude<
      keyof TelnyxEvents,
      'disconnected' | 'network_metrics_report' | 'message_received'
    >;
    expectTypeOf<{ [K in Common]: ArgsBeforeState<Events[K]> }>().toEqualTypeOf<{
      [K in Common]: ArgsBeforeState<TelnyxEvents[K]>;
    }>();
    expectTypeOf<ArgsBeforeState<Events['disconnected']>>().toMatchTypeOf<[string]>();
  });

  it('shape State, Participant and Stream with the same fields', () => {
    expectTypeOf<keyof State>().toEqualTypeOf<keyof TelnyxState>();
    // Plus a phone caller's moderator mute, optional so that 1.0.2's participants fit.
    expectTypeOf<Exclude<keyof Participant, 'isAudioCensored'>>().toEqualTypeOf<
      keyof TelnyxParticipant
    >();
    expectTypeOf<TelnyxParticipant>().toMatchTypeOf<Participant>();
    expectTypeOf<keyof Stream>().toEqualTypeOf<keyof TelnyxStream>();
    expectTypeOf<State['status']>().toEqualTypeOf<TelnyxState['status']>();
    expectTypeOf<Participant['origin']>().toEqualTypeOf<TelnyxParticipant['origin']>();
  });
});
