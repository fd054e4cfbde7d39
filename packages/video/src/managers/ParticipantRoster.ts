import type { JanusSession } from '../janus/JanusSession.js';
import type { JanusFrame, PluginData } from '../janus/janusFrames.js';
import { JanusPlugin, idField, listField } from '../janus/janusFrames.js';
import { decodeDisplay, encodeDisplay } from '../janus/display.js';
import type { Logger } from '../Logger.js';
import type { StateStore } from '../state/StateStore.js';
import type { Participant } from '../types.js';
import { VideoError } from '../VideoError.js';

export interface RosterCallbacks {
  /** A participant (or phone caller) joined after us. */
  joined: (participantId: string) => void;
  leaving: (participantId: string, reason: 'kicked' | null) => void;
  /** Resolves once the participant's streams are gone (the room removes stragglers). */
  streamsGone: (participantId: string) => Promise<void>;
  left: (participantId: string) => void;
  /** Our own registration left or was kicked: the room is over for us. */
  localRemoved: (reason: 'kicked' | null) => void;
  /** A participant's mixed-audio leg started (`true`) or stopped (`false`) talking. */
  talking: (participantId: string, talking: boolean) => void;
  /** A moderator muted (`true`) or unmuted a phone caller's leg; the state already shows it. */
  callerCensored: (participantId: string, censored: boolean) => void;
}

/** The stream key events name for a phone caller's audio: its leg in the AudioBridge mix. */
export const PHONE_AUDIO_KEY = 'audiobridge';

export interface RosterOptions {
  session: JanusSession;
  store: StateStore;
  logger: Logger;
  roomId: string;
  callbacks: RosterCallbacks;
}

/**
 * The participant roster: an AudioBridge handle without media that registers the local
 * participant (joined muted, its display carrying the participant id and the app's context) and
 * hears who joins, leaves, is kicked and talks.
 */
export class ParticipantRoster {
  readonly #session: JanusSession;
  readonly #store: StateStore;
  readonly #logger: Logger;
  readonly #roomId: string;
  readonly #callbacks: RosterCallbacks;
  /** AudioBridge ids of registrations → participant ids. */
  readonly #participantByJanusId = new Map<string, string>();
  /** AudioBridge ids of mixed-audio legs (and phone calls) → participant ids, for `talking`. */
  readonly #talkerByJanusId = new Map<string, string>();
  /** AudioBridge ids of phone calls → participant ids, for moderator mutes. */
  readonly #callerByJanusId = new Map<string, string>();
  /** Participants whose leaving is under way. */
  readonly #leaving = new Set<string>();
  /** Participants who registered again while their leaving was under way (a quick rejoin). */
  readonly #rejoined = new Map<string, Participant>();
  #handleId = 0;

  /** Events are handled without a caller to tell: failures go to the log. */
  readonly #logFailure = (error: unknown): void => {
    this.#logger.error('handling a roster event failed', error);
  };

  constructor(options: RosterOptions) {
    this.#session = options.session;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#roomId = options.roomId;
    this.#callbacks = options.callbacks;
  }

  /**
   * Registers the local participant. Those already in the room enter the state without events
   * (the room is not `connected` yet).
   */
  async register(): Promise<void> {
    const state = this.#store.state;
    const local = state.participants.get(state.localParticipantId);
    if (local === undefined) {
      throw VideoError.invalidState('no local participant in the state');
    }
    this.#handleId = await this.#session.attach(JanusPlugin.AudioBridge);
    this.#session.onHandleEvent(this.#handleId, (frame) => this.#onEvent(frame));
    const { data } = await this.#session.message(this.#handleId, {
      request: 'join',
      room: this.#roomId,
      display: encodeDisplay({
        participantId: local.id,
        external: local.context,
        canReceiveMessages: local.canReceiveMessages,
      }),
      muted: true,
    });
    const ownId = idField(data, 'id');
    if (data.audiobridge !== 'joined' || ownId === undefined) {
      throw VideoError.mediaServer(0, 'the roster join was not answered with "joined"');
    }
    this.#participantByJanusId.set(ownId, local.id);
    for (const entry of listField(data, 'participants')) {
      this.#add(entry, false);
    }
  }

  #onEvent(frame: JanusFrame): void {
    const data = frame.plugindata?.data;
    if (data === undefined) {
      return;
    }
    switch (data.audiobridge) {
      case 'joined':
        // Our own join carries our id; others' joins list only them.
        if (data.id === undefined) {
          for (const entry of listField(data, 'participants')) {
            this.#add(entry, true);
          }
        }
        return;
      case 'event': {
        const kicked = idField(data, 'kicked');
        if (kicked !== undefined) {
          this.#remove(kicked, 'kicked').catch(this.#logFailure);
        }
        const leaving = idField(data, 'leaving');
        if (leaving !== undefined) {
          this.#remove(leaving, null).catch(this.#logFailure);
        }
        // Participants whose settings changed, e.g. a phone caller a moderator muted.
        for (const entry of listField(data, 'participants')) {
          this.#callerMuted(entry);
        }
        return;
      }
      case 'talking':
      case 'stopped-talking': {
        const talker = this.#talkerByJanusId.get(idField(data, 'id') ?? '');
        if (talker !== undefined && this.#store.state.participants.has(talker)) {
          this.#callbacks.talking(talker, data.audiobridge === 'talking');
        }
        return;
      }
    }
  }

  #add(entry: PluginData, announce: boolean): void {
    const janusId = idField(entry, 'id');
    const info = decodeDisplay(entry.display);
    if (janusId === undefined || info === undefined) {
      this.#logger.warn('ignoring an AudioBridge participant without a valid display', janusId);
      return;
    }
    if (info.participantId === this.#store.state.localParticipantId) {
      return;
    }
    if (info.telephonyEngineParticipant === true) {
      // A phone call is one AudioBridge leg: registration and audio at once.
      this.#talkerByJanusId.set(janusId, info.participantId);
      this.#callerByJanusId.set(janusId, info.participantId);
      // A caller muted before we came is muted from the start (the list says so).
      this.#addParticipant(janusId, info.participantId, 'telephony_engine', info, announce, {
        isAudioCensored: entry.muted === true,
      });
      return;
    }
    if (info.stream !== undefined) {
      // A participant's mixed-audio leg.
      this.#talkerByJanusId.set(janusId, info.participantId);
      return;
    }
    this.#addParticipant(janusId, info.participantId, 'remote', info, announce);
  }

  #addParticipant(
    janusId: string,
    participantId: string,
    origin: Participant['origin'],
    info: { external?: string; canReceiveMessages?: boolean },
    announce: boolean,
    extra: Pick<Participant, 'isAudioCensored'> = {},
  ): void {
    this.#participantByJanusId.set(janusId, participantId);
    const participant: Participant = {
      id: participantId,
      context: info.external,
      streams: {},
      origin,
      canReceiveMessages: info.canReceiveMessages === true,
      ...extra,
    };
    if (this.#leaving.has(participantId)) {
      // Back before the old registration is gone: joins again once it is.
      this.#rejoined.set(participantId, participant);
      return;
    }
    if (this.#store.state.participants.has(participantId)) {
      return;
    }
    this.#store.dispatch({ type: 'add_participant', payload: participant });
    if (announce) {
      this.#callbacks.joined(participantId);
    }
  }

  /** A phone caller's leg muted or unmuted (Janus's notice of a moderator mute). */
  #callerMuted(entry: PluginData): void {
    const participantId = this.#callerByJanusId.get(idField(entry, 'id') ?? '');
    const participant =
      participantId === undefined ? undefined : this.#store.state.participants.get(participantId);
    if (participant === undefined || typeof entry.muted !== 'boolean') {
      return;
    }
    const censored = entry.muted;
    if (participant.isAudioCensored === censored) {
      return;
    }
    this.#store.dispatch({
      type: 'update_participant',
      payload: { id: participant.id, props: { isAudioCensored: censored } },
    });
    this.#callbacks.callerCensored(participant.id, censored);
  }

  async #remove(janusId: string, reason: 'kicked' | null): Promise<void> {
    this.#talkerByJanusId.delete(janusId);
    this.#callerByJanusId.delete(janusId);
    const participantId = this.#participantByJanusId.get(janusId);
    if (participantId === undefined) {
      return;
    }
    this.#participantByJanusId.delete(janusId);
    if (participantId === this.#store.state.localParticipantId) {
      this.#callbacks.localRemoved(reason);
      return;
    }
    if (!this.#store.state.participants.has(participantId)) {
      return;
    }
    this.#leaving.add(participantId);
    try {
      this.#callbacks.leaving(participantId, reason);
      await this.#callbacks.streamsGone(participantId);
      if (this.#store.state.participants.has(participantId)) {
        this.#store.dispatch({ type: 'remove_participant', payload: { id: participantId } });
        this.#callbacks.left(participantId);
      }
    } finally {
      this.#leaving.delete(participantId);
    }
    const rejoined = this.#rejoined.get(participantId);
    if (rejoined !== undefined) {
      this.#rejoined.delete(participantId);
      this.#store.dispatch({ type: 'add_participant', payload: rejoined });
      this.#callbacks.joined(participantId);
    }
  }

  /** Stops hearing the roster (the session is ending; Janus drops the handle with it). */
  close(): void {
    this.#participantByJanusId.clear();
    this.#talkerByJanusId.clear();
    this.#callerByJanusId.clear();
    this.#rejoined.clear();
  }
}
