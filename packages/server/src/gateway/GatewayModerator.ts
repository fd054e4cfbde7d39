import type { Logger } from 'pino';
import type { LiveRoomControl } from '../rooms/SessionActions.js';
import type { GatewayConnection } from './GatewayConnection.js';
import { CloseCode } from './GatewayRefusal.js';

/** The moderation requests the gateway needs from the room engine (made with room secrets). */
export interface ModerationEngine {
  kick(
    roomId: string,
    plugin: 'audiobridge' | 'videoroom',
    participantId: string,
  ): Promise<boolean>;
  muteAudio(roomId: string, participantId: string, muted: boolean): Promise<boolean>;
  moderateStream(
    roomId: string,
    publisherId: string,
    mid: string,
    muted: boolean,
  ): Promise<boolean>;
}

/** What the moderator needs of the room gateway. */
export interface ModeratedGateway {
  on(event: 'mediaChanged', listener: (connection: GatewayConnection) => void): unknown;
  off(event: 'mediaChanged', listener: (connection: GatewayConnection) => void): unknown;
  participantByRecord(roomId: string, recordId: string): Promise<GatewayConnection | undefined>;
  closeRoom(roomId: string, reason: string): void;
}

/** A phone call as the moderator sees it (the phone bridge's BridgedCall). */
export interface ModeratedPhoneCall {
  readonly roomId: string | undefined;
  /** The caller's participant id (the REST API's), once in the room. */
  readonly participantId: string | undefined;
  /** The caller's plain-RTP leg in the room's AudioBridge, once joined. */
  readonly janusId: string | undefined;
  readonly state: string;
  /** Ends the call (closing its stream, hanging up at Telnyx when the connector can). */
  end(reason: 'session-ended', options: { hangUp: boolean }): Promise<void>;
}

/** The live phone calls of this node (the phone bridge). */
export interface ModeratedPhones {
  readonly calls: readonly ModeratedPhoneCall[];
}

export interface GatewayModeratorOptions {
  gateway: ModeratedGateway;
  engine: ModerationEngine;
  logger: Logger;
  /**
   * How long a kicked client may take to close its connection itself (the SDK does at once when
   * it sees it was kicked) before the gateway closes it. Default 2 s.
   */
  kickCloseGraceMs?: number;
}

/** What a moderator mute has done in Janus for one connection. */
interface AppliedMute {
  /** AudioBridge legs muted (every mixer leg seen while the mute held, and the roster). */
  legs: Set<string>;
  /** Those of them that are roster registrations: joined muted by the SDK, left muted after. */
  rosters: Set<string>;
  /** `<publisher id> <mid>` of the VideoRoom audio streams moderated. */
  streams: Set<string>;
}

/**
 * Carries session actions out on live connections: kick (AudioBridge and VideoRoom kicks, so
 * everyone's SDK sees `participant_leaving(id, 'kicked')`, then the connection ends), moderator
 * mute and unmute (AudioBridge mute of the mixer leg so the mix drops the voice, VideoRoom
 * moderation of every audio stream so subscribers get nothing and the SDK shows
 * `track_censored`; the gateway refuses the participant's own unmute meanwhile), and end.
 * Streams a muted participant publishes later are muted as they appear.
 *
 * Phone callers (once {@link attachPhones} is called) are muted the same way in the AudioBridge:
 * their plain-RTP leg is muted, so the mix drops them, Janus tells the room's clients (an
 * AudioBridge participant update with `muted: true`) and their talking events stop. Ending a
 * session ends its calls as `session-ended`.
 */
export class GatewayModerator implements LiveRoomControl {
  readonly #gateway: ModeratedGateway;
  readonly #engine: ModerationEngine;
  readonly #logger: Logger;
  readonly #kickGraceMs: number;
  readonly #applied = new WeakMap<GatewayConnection, AppliedMute>();
  /** Mute work per connection, in order (a REST action and new streams may race). */
  readonly #queues = new WeakMap<GatewayConnection, Promise<void>>();
  /** `<room id> <leg>` of the phone legs muted now. */
  readonly #mutedPhoneLegs = new Set<string>();
  #phones: ModeratedPhones | undefined;
  readonly #onMediaChanged = (connection: GatewayConnection): void => {
    if (connection.audioMuteLocked || this.#applied.has(connection)) {
      this.#sync(connection).catch((error: unknown) =>
        this.#logger.error(
          { err: error, roomId: connection.roomId, participantId: connection.participantId },
          'could not mute new media of a muted participant',
        ),
      );
    }
  };
  #closed = false;

  constructor(options: GatewayModeratorOptions) {
    this.#gateway = options.gateway;
    this.#engine = options.engine;
    this.#logger = options.logger;
    this.#kickGraceMs = options.kickCloseGraceMs ?? 2000;
    this.#gateway.on('mediaChanged', this.#onMediaChanged);
  }

  async kick(roomId: string, participantId: string): Promise<boolean> {
    const connection = await this.#gateway.participantByRecord(roomId, participantId);
    if (connection === undefined) {
      return false;
    }
    connection.removeByModerator(this.#kickGraceMs);
    const ids = connection.janusIds;
    try {
      // The roster first: that is where every SDK learns who was kicked.
      if (ids.roster !== undefined) {
        await this.#engine.kick(roomId, 'audiobridge', ids.roster);
      }
      await Promise.all([
        ids.mixer === undefined ? undefined : this.#engine.kick(roomId, 'audiobridge', ids.mixer),
        ...[...ids.publishers.values()].map((p) => this.#engine.kick(roomId, 'videoroom', p.id)),
      ]);
    } catch (error) {
      // Without Janus's help the participant still goes: its connection ends now.
      this.#logger.error({ err: error, roomId, participantId }, 'janus could not kick');
      connection.close(CloseCode.SessionTerminated, 'removed from the room');
    }
    this.#logger.info({ roomId, participantId }, 'participant kicked');
    return true;
  }

  /** Lets moderation reach the phone callers of this node. */
  attachPhones(phones: ModeratedPhones): void {
    this.#phones = phones;
  }

  /**
   * Whether an AudioBridge event the server makes for a phone leg may reach the room's clients:
   * a muted caller is not shown talking (nobody hears it).
   */
  allowsPhoneEvent(roomId: string, data: Record<string, unknown>): boolean {
    return !(
      data.audiobridge === 'talking' && this.#mutedPhoneLegs.has(`${roomId} ${String(data.id)}`)
    );
  }

  async setAudioMuted(roomId: string, participantId: string, muted: boolean): Promise<boolean> {
    const connection = await this.#gateway.participantByRecord(roomId, participantId);
    if (connection === undefined) {
      return this.#setPhoneMuted(roomId, participantId, muted);
    }
    // The lock first, so that an unmute the client sends meanwhile is already refused.
    connection.setAudioMuteLock(muted);
    await this.#sync(connection);
    this.#logger.info({ roomId, participantId, muted }, 'participant audio moderated');
    return true;
  }

  endRoom(roomId: string): Promise<void> {
    this.#gateway.closeRoom(roomId, 'session ended');
    // Before the session's records end: the calls then end for this reason, not as kicked.
    for (const call of this.#phones?.calls ?? []) {
      if (call.roomId === roomId) {
        void call.end('session-ended', { hangUp: true });
      }
    }
    return Promise.resolve();
  }

  /** Stops following new media. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#gateway.off('mediaChanged', this.#onMediaChanged);
  }

  async #setPhoneMuted(roomId: string, participantId: string, muted: boolean): Promise<boolean> {
    const calls = this.#phones?.calls ?? [];
    const call = calls.find(
      (c) => c.roomId === roomId && c.participantId === participantId && c.state === 'live',
    );
    const leg = call?.janusId;
    if (leg === undefined) {
      return false;
    }
    // Forget the legs of calls that are over.
    const live = new Set(calls.map((c) => `${String(c.roomId)} ${String(c.janusId)}`));
    for (const key of this.#mutedPhoneLegs) {
      if (!live.has(key)) {
        this.#mutedPhoneLegs.delete(key);
      }
    }
    const key = `${roomId} ${leg}`;
    if (muted) {
      // Talking events stop at once, before Janus has muted the leg.
      this.#mutedPhoneLegs.add(key);
    }
    const done = await this.#engine.muteAudio(roomId, leg, muted);
    if (!muted) {
      this.#mutedPhoneLegs.delete(key);
    }
    this.#logger.info({ roomId, participantId, muted, leg }, 'phone participant audio moderated');
    return done;
  }

  /** Brings Janus in line with the connection's mute lock, one step at a time per connection. */
  #sync(connection: GatewayConnection): Promise<void> {
    const previous = this.#queues.get(connection) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#syncNow(connection));
    this.#queues.set(connection, run);
    return run;
  }

  /**
   * While the mute holds, everything audio of the participant is muted as it appears (legs and
   * streams muted earlier stay muted, even if the client opened new ones); once it is lifted,
   * what the mute changed is undone.
   */
  async #syncNow(connection: GatewayConnection): Promise<void> {
    if (connection.closed) {
      return;
    }
    const roomId = connection.roomId;
    const ids = connection.janusIds;
    const applied = this.#applied.get(connection) ?? {
      legs: new Set<string>(),
      rosters: new Set<string>(),
      streams: new Set<string>(),
    };
    this.#applied.set(connection, applied);
    const changes: Promise<unknown>[] = [];
    if (connection.audioMuteLocked) {
      for (const [leg, roster] of [
        [ids.roster, true],
        [ids.mixer, false],
      ] as const) {
        if (leg !== undefined && !applied.legs.has(leg)) {
          applied.legs.add(leg);
          if (roster) {
            applied.rosters.add(leg);
          }
          changes.push(this.#engine.muteAudio(roomId, leg, true));
        }
      }
      for (const publisher of ids.publishers.values()) {
        for (const mid of publisher.audioMids) {
          const stream = `${publisher.id} ${mid}`;
          if (!applied.streams.has(stream)) {
            applied.streams.add(stream);
            changes.push(this.#moderate(roomId, stream, true));
          }
        }
      }
    } else {
      for (const leg of applied.legs) {
        if (!applied.rosters.has(leg)) {
          changes.push(this.#engine.muteAudio(roomId, leg, false));
        }
      }
      for (const stream of applied.streams) {
        changes.push(this.#moderate(roomId, stream, false));
      }
      this.#applied.delete(connection);
    }
    await Promise.all(changes);
  }

  #moderate(roomId: string, stream: string, muted: boolean): Promise<boolean> {
    const [publisherId = '', mid = ''] = stream.split(' ');
    return this.#engine.moderateStream(roomId, publisherId, mid, muted);
  }
}
