import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { InvalidStateError, ValidationError } from '../errors.js';
import type { JanusClient } from './JanusClient.js';
import { JANUS_PLUGINS, type JanusTalkDetection } from './JanusConfig.js';
import { JanusClosedError, JanusPluginError } from './JanusErrors.js';
import type { JanusHandle } from './JanusHandle.js';
import type { JanusPluginPayload } from './JanusMessages.js';
import type { JanusSession } from './JanusSession.js';

export type RoomPlugin = keyof typeof JANUS_PLUGINS;

const ROOM_PLUGINS: readonly RoomPlugin[] = ['audiobridge', 'videoroom', 'textroom'];

export type VideoCodec = 'vp8' | 'vp9' | 'h264' | 'av1' | 'h265';

export interface JanusRoomEngineOptions {
  client: JanusClient;
  /** The plugins' `admin_key` (same value as in the generated config). */
  adminKey: string;
  logger: Logger;
  /**
   * Key the per-room secrets are derived from (HMAC). Give a persisted one when Janus may outlive
   * the server (external Janus); by default a random key lives as long as this engine.
   */
  secretKey?: string;
  /** Streams one participant may publish at once in the VideoRoom (default 3: camera, screen, one spare). */
  streamsPerParticipant?: number;
  /** Talk detection of AudioBridge and VideoRoom (default 50 packets = 1 s, average level 50). */
  talkDetection?: JanusTalkDetection;
  /** VideoRoom codecs in order of preference (default VP8, then H.264). */
  videoCodecs?: readonly VideoCodec[];
}

export interface RoomSpec {
  /** The Palaver room's `max_participants`. */
  maxParticipants: number;
}

/** What Janus holds for one Palaver room. */
export interface JanusRoomState {
  roomId: string;
  /** Participants per plugin; a plugin is absent when it has no room under this id. */
  audiobridge?: { participants: number };
  videoroom?: { participants: number };
  textroom?: { participants: number };
}

export interface EnsureRoomResult {
  /** Plugins in which the room was created now (empty if it already existed everywhere). */
  created: RoomPlugin[];
}

export interface RebindResult {
  recreated: string[];
  failed: { roomId: string; error: Error }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PARTICIPANTS_LIMIT = 1000;

/** Plugin codes that mean "that participant (or stream) is not there" (janus-api.md §3-4). */
const NO_SUCH_PARTICIPANT: Readonly<Partial<Record<RoomPlugin, number>>> = {
  audiobridge: 492,
  videoroom: 428,
};

interface ControlHandles {
  session: JanusSession;
  handles: Record<RoomPlugin, JanusHandle>;
}

/**
 * Maps a Palaver room onto Janus: under the room's UUID, an AudioBridge room (mixed audio, phone
 * legs, talk events) and a VideoRoom (one publisher per stream); under a secret id derived from
 * the room's UUID, a TextRoom (messages). Each is created with the plugins' admin key and its
 * own secret, which never leaves the server, so a client that reaches Janus can neither create
 * nor administer rooms. The engine also makes the server's moderation requests (kick, mute).
 */
export class JanusRoomEngine {
  readonly #adminKey: string;
  readonly #logger: Logger;
  readonly #secretKey: Buffer;
  readonly #streamsPerParticipant: number;
  readonly #talk: JanusTalkDetection;
  readonly #videoCodecs: readonly VideoCodec[];
  readonly #live = new Map<string, RoomSpec>();
  readonly #locks = new Map<string, Promise<unknown>>();
  #client: JanusClient;
  #control: Promise<ControlHandles> | undefined;
  #closed = false;

  constructor(options: JanusRoomEngineOptions) {
    if (options.adminKey.length === 0) {
      throw new ValidationError('adminKey is required');
    }
    if (options.secretKey !== undefined && options.secretKey.length < 16) {
      throw new ValidationError('secretKey must be at least 16 characters');
    }
    this.#client = options.client;
    this.#adminKey = options.adminKey;
    this.#logger = options.logger;
    this.#secretKey =
      options.secretKey === undefined ? randomBytes(32) : Buffer.from(options.secretKey, 'utf8');
    this.#streamsPerParticipant = options.streamsPerParticipant ?? 3;
    this.#talk = options.talkDetection ?? { activePackets: 50, levelAverage: 50 };
    this.#videoCodecs = options.videoCodecs ?? ['vp8', 'h264'];
    if (!Number.isInteger(this.#streamsPerParticipant) || this.#streamsPerParticipant < 1) {
      throw new ValidationError('streamsPerParticipant must be a positive integer');
    }
    if (this.#videoCodecs.length === 0 || this.#videoCodecs.length > 5) {
      throw new ValidationError('videoCodecs must list 1 to 5 codecs');
    }
  }

  /** Rooms this engine created and has not destroyed: what to re-create after a Janus restart. */
  get liveRooms(): ReadonlyMap<string, RoomSpec> {
    return this.#live;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The secret of one plugin room. Server-internal (moderation requests need it); never send it
   * to a client.
   */
  roomSecret(roomId: string, plugin: RoomPlugin): string {
    return createHmac('sha256', this.#secretKey)
      .update(`${JANUS_PLUGINS[plugin]}\n${roomId}`)
      .digest('base64url');
  }

  /**
   * The TextRoom's id in Janus. Chat runs over a data channel straight to Janus, where the
   * gateway cannot check which room a client joins, so the id is a secret derived from the room
   * id: only clients of this room learn it (the gateway hands it out in `janus_room_id`).
   */
  textRoomId(roomId: string): string {
    return createHmac('sha256', this.#secretKey)
      .update(`textroom-id\n${roomId}`)
      .digest('base64url')
      .slice(0, 32);
  }

  /** Creates whatever is missing of the room's three plugin rooms. Idempotent. */
  async ensureRoom(roomId: string, spec: RoomSpec): Promise<EnsureRoomResult> {
    assertRoomId(roomId);
    assertSpec(spec);
    return this.#withLock(roomId, async () => {
      const { handles } = await this.#controlHandles();
      const outcomes = await Promise.allSettled(
        ROOM_PLUGINS.map(async (plugin) => {
          try {
            await handles[plugin].message(this.#createBody(plugin, roomId, spec));
            return true;
          } catch (error) {
            if (error instanceof JanusPluginError && error.isRoomExists) {
              return false;
            }
            throw error;
          }
        }),
      );
      const created = ROOM_PLUGINS.filter((_, i) => {
        const outcome = outcomes[i];
        return outcome?.status === 'fulfilled' && outcome.value;
      });
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failure !== undefined) {
        if (!this.#live.has(roomId)) {
          // Half a room is no use and an idle AudioBridge room still runs its mixer: undo.
          await Promise.allSettled(
            created.map((plugin) => this.#destroyIn(handles, plugin, roomId)),
          );
        }
        throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
      }
      const known = this.#live.get(roomId);
      if (!created.includes('videoroom') && known?.maxParticipants !== spec.maxParticipants) {
        // The room outlived a change of max_participants: resize its publisher slots. Best
        // effort: a room made under another secret key (an external Janus that outlived the
        // server) refuses the edit but still works.
        await handles.videoroom
          .message({
            request: 'edit',
            room: roomId,
            secret: this.roomSecret(roomId, 'videoroom'),
            new_publishers: spec.maxParticipants * this.#streamsPerParticipant,
          })
          .catch((error: unknown) =>
            this.#logger.warn({ err: error, roomId }, 'janus videoroom resize failed'),
          );
      }
      this.#live.set(roomId, { maxParticipants: spec.maxParticipants });
      if (created.length > 0) {
        this.#logger.info({ roomId, created }, 'janus rooms created');
      }
      return { created };
    });
  }

  /** Destroys the room in all three plugins (participants are dropped). Returns whether any existed. */
  async destroyRoom(roomId: string): Promise<boolean> {
    assertRoomId(roomId);
    return this.#withLock(roomId, async () => {
      const { handles } = await this.#controlHandles();
      const outcomes = await Promise.allSettled(
        ROOM_PLUGINS.map((plugin) => this.#destroyIn(handles, plugin, roomId)),
      );
      this.#live.delete(roomId);
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failure !== undefined) {
        throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
      }
      const existed = outcomes.some((o) => o.status === 'fulfilled' && o.value);
      if (existed) {
        this.#logger.info({ roomId }, 'janus rooms destroyed');
      }
      return existed;
    });
  }

  /**
   * Removes a participant from the AudioBridge (by its AudioBridge id) or a publisher from the
   * VideoRoom. Everyone in the room, the participant included, is told it was kicked. Resolves
   * false when Janus has no such room or participant.
   */
  kick(
    roomId: string,
    plugin: 'audiobridge' | 'videoroom',
    participantId: string,
  ): Promise<boolean> {
    return this.#moderate(plugin, roomId, { request: 'kick', id: participantId });
  }

  /**
   * Moderator mute of an AudioBridge participant: its audio no longer reaches the mix. (The
   * plugin lets a participant unmute itself; the gateway refuses that while the mute holds.)
   */
  muteAudio(roomId: string, participantId: string, muted: boolean): Promise<boolean> {
    return this.#moderate('audiobridge', roomId, {
      request: muted ? 'mute' : 'unmute',
      id: participantId,
    });
  }

  /**
   * Moderator mute of one stream (mid) of a VideoRoom publisher: Janus stops relaying it until
   * unmuted, whatever the publisher does, and tells the room.
   */
  moderateStream(
    roomId: string,
    publisherId: string,
    mid: string,
    muted: boolean,
  ): Promise<boolean> {
    return this.#moderate('videoroom', roomId, {
      request: 'moderate',
      id: publisherId,
      mid,
      mute: muted,
    });
  }

  /** Every room Janus holds in the three plugins (private ones included, via the admin key). */
  async listRooms(): Promise<JanusRoomState[]> {
    const { handles } = await this.#controlHandles();
    const rooms = new Map<string, JanusRoomState>();
    // TextRooms live under derived ids; those of rooms this engine knows are listed by room id.
    const textRooms = new Map([...this.#live.keys()].map((id) => [this.textRoomId(id), id]));
    await Promise.all(
      ROOM_PLUGINS.map(async (plugin) => {
        const reply = await handles[plugin].message({ request: 'list', admin_key: this.#adminKey });
        // AudioBridge answers under `list` too, whatever its documentation says.
        const list = Array.isArray(reply.data.list)
          ? (reply.data.list as JanusPluginPayload[])
          : [];
        for (const item of list) {
          if (typeof item.room !== 'string') {
            continue;
          }
          const roomId =
            (plugin === 'textroom' ? textRooms.get(item.room) : undefined) ?? item.room;
          const state = rooms.get(roomId) ?? { roomId };
          state[plugin] = {
            participants: typeof item.num_participants === 'number' ? item.num_participants : 0,
          };
          rooms.set(roomId, state);
        }
      }),
    );
    return [...rooms.values()].sort((a, b) => a.roomId.localeCompare(b.roomId));
  }

  /** What Janus holds under one room id. */
  async getRoom(roomId: string): Promise<JanusRoomState> {
    assertRoomId(roomId);
    const { handles } = await this.#controlHandles();
    const state: JanusRoomState = { roomId };
    await Promise.all(
      ROOM_PLUGINS.map(async (plugin) => {
        try {
          const reply = await handles[plugin].message({
            request: 'listparticipants',
            room: this.#janusRoomId(roomId, plugin),
          });
          const participants = reply.data.participants;
          state[plugin] = { participants: Array.isArray(participants) ? participants.length : 0 };
        } catch (error) {
          if (!(error instanceof JanusPluginError && error.isNoSuchRoom)) {
            throw error;
          }
        }
      }),
    );
    return state;
  }

  /**
   * Moves to a new client (after a Janus restart) and re-creates every live room there. Rooms that
   * fail stay in `liveRooms` and are reported.
   */
  async rebind(client: JanusClient): Promise<RebindResult> {
    this.#assertOpen();
    const old = this.#control;
    this.#control = undefined;
    this.#client = client;
    void old?.then(({ session }) => session.close()).catch(() => undefined);
    const result: RebindResult = { recreated: [], failed: [] };
    for (const [roomId, spec] of [...this.#live]) {
      try {
        await this.ensureRoom(roomId, spec);
        result.recreated.push(roomId);
      } catch (error) {
        result.failed.push({
          roomId,
          error: error instanceof Error ? error : new Error(String(error)),
        });
        this.#logger.error({ err: error, roomId }, 'janus room re-creation failed');
      }
    }
    return result;
  }

  /** Closes the engine's session (rooms stay in Janus). Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    const control = this.#control;
    this.#control = undefined;
    void control?.then(({ session }) => session.close()).catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------

  #createBody(plugin: RoomPlugin, roomId: string, spec: RoomSpec): JanusPluginPayload {
    const common = {
      request: 'create',
      room: this.#janusRoomId(roomId, plugin),
      admin_key: this.#adminKey,
      secret: this.roomSecret(roomId, plugin),
      description: roomId,
      // Hidden from `list` without the admin key.
      is_private: true,
      // Palaver's store owns room state; Janus must not write rooms into its config files.
      permanent: false,
    };
    const talk = {
      audiolevel_ext: true,
      audiolevel_event: true,
      audio_active_packets: this.#talk.activePackets,
      audio_level_average: this.#talk.levelAverage,
    };
    switch (plugin) {
      case 'audiobridge':
        return {
          ...common,
          ...talk,
          // 16 kHz is the plugin's default; browsers and the phone bridge's Opus legs get full band.
          sampling_rate: 48_000,
          allow_rtp_participants: true,
          record: false,
        };
      case 'videoroom':
        return {
          ...common,
          ...talk,
          // Counts only publishers whose PeerConnection is up; the SDK uses one per stream key.
          publishers: spec.maxParticipants * this.#streamsPerParticipant,
          audiocodec: 'opus',
          videocodec: this.#videoCodecs.join(','),
          // Constrained baseline decodes everywhere; kept only when H.264 is allowed.
          ...(this.#videoCodecs.includes('h264') ? { h264_profile: '42e01f' } : {}),
          opus_fec: true,
          // The SDK's stream register expects `attendees` and `joining` events.
          notify_joining: true,
          // Periodic keyframes let late subscribers see video quickly.
          fir_freq: 10,
          record: false,
          lock_record: true,
        };
      case 'textroom':
        return { ...common, history: 0 };
    }
  }

  /** Destroys one plugin room; false if there was none. */
  async #destroyIn(
    handles: ControlHandles['handles'],
    plugin: RoomPlugin,
    roomId: string,
  ): Promise<boolean> {
    try {
      await handles[plugin].message({
        request: 'destroy',
        room: this.#janusRoomId(roomId, plugin),
        secret: this.roomSecret(roomId, plugin),
        permanent: false,
      });
      return true;
    } catch (error) {
      if (error instanceof JanusPluginError && error.isNoSuchRoom) {
        return false;
      }
      throw error;
    }
  }

  /** The id of a Palaver room's room in one plugin. */
  #janusRoomId(roomId: string, plugin: RoomPlugin): string {
    return plugin === 'textroom' ? this.textRoomId(roomId) : roomId;
  }

  /** A moderation request with the room secret; false when the room or participant is gone. */
  async #moderate(
    plugin: 'audiobridge' | 'videoroom',
    roomId: string,
    body: JanusPluginPayload,
  ): Promise<boolean> {
    assertRoomId(roomId);
    const { handles } = await this.#controlHandles();
    try {
      await handles[plugin].message({
        ...body,
        room: roomId,
        secret: this.roomSecret(roomId, plugin),
      });
      return true;
    } catch (error) {
      if (
        error instanceof JanusPluginError &&
        (error.isNoSuchRoom || error.pluginCode === NO_SUCH_PARTICIPANT[plugin])
      ) {
        return false;
      }
      throw error;
    }
  }

  /** One session with one handle per plugin, made lazily and again if Janus dropped it. */
  #controlHandles(): Promise<ControlHandles> {
    this.#assertOpen();
    if (this.#control === undefined) {
      const client = this.#client;
      const control = this.#openControl(client);
      this.#control = control;
      control.then(
        ({ session }) =>
          session.on('closed', () => {
            if (this.#control === control) {
              this.#control = undefined;
            }
          }),
        () => {
          if (this.#control === control) {
            this.#control = undefined;
          }
        },
      );
    }
    return this.#control;
  }

  async #openControl(client: JanusClient): Promise<ControlHandles> {
    if (client.closed) {
      throw new JanusClosedError('the Janus client of the room engine is closed');
    }
    const session = await client.createSession();
    try {
      const [audiobridge, videoroom, textroom] = await Promise.all(
        ROOM_PLUGINS.map((plugin) =>
          session.attach(JANUS_PLUGINS[plugin], { opaqueId: `palaver-control-${plugin}` }),
        ),
      );
      return {
        session,
        handles: { audiobridge: audiobridge!, videoroom: videoroom!, textroom: textroom! },
      };
    } catch (error) {
      session.close();
      throw error;
    }
  }

  /** Serialises work on one room id (ensure vs destroy races). */
  async #withLock<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(roomId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.#locks.set(roomId, run);
    try {
      return await run;
    } finally {
      if (this.#locks.get(roomId) === run) {
        this.#locks.delete(roomId);
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new InvalidStateError('JanusRoomEngine is closed');
    }
  }
}

function assertRoomId(roomId: string): void {
  if (!UUID.test(roomId)) {
    throw new ValidationError(`a room id must be a UUID, got ${JSON.stringify(roomId)}`);
  }
}

function assertSpec(spec: RoomSpec): void {
  if (
    !Number.isInteger(spec.maxParticipants) ||
    spec.maxParticipants < 1 ||
    spec.maxParticipants > MAX_PARTICIPANTS_LIMIT
  ) {
    throw new ValidationError(
      `maxParticipants must be an integer from 1 to ${MAX_PARTICIPANTS_LIMIT}, got ${spec.maxParticipants}`,
    );
  }
}
