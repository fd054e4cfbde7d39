import type {
  SignalSocket,
  SignalSocketFactory,
  SignalSocketHandlers,
} from '../janus/SignalSocket.js';
import type { DisplayInfo } from '../janus/display.js';
import { decodeDisplay } from '../janus/display.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import type { FakeDataChannel } from './FakeWebRtc.js';
import { FakeMediaStreamTrack, FakePeerConnection } from './FakeWebRtc.js';

// A scripted Janus 1.1.2 behind Palaver's gateway, in memory: sessions, handles, and the
// AudioBridge, VideoRoom and TextRoom behaviour the SDK relies on, with the events other
// participants' handles receive (and the gateway's rewrites: janus_room_id, audio-moderation).
// Several SDK rooms can share one FakeJanus and see each other.

type Frame = Record<string, unknown>;

export interface Refusal {
  status: number;
  message: string;
  /** Close the connection with this code after the refusal. */
  close?: number;
}

interface Handle {
  id: number;
  plugin: string;
  session: Session;
  /** AudioBridge participant id, VideoRoom publisher/subscriber id, TextRoom username. */
  janusId?: string;
  room?: string;
  display?: string;
  ptype?: 'publisher' | 'subscriber';
  /** VideoRoom publisher streams once its PeerConnection is up. */
  streams?: { type: string; mid: string }[];
  moderated?: Set<string>;
  /** AudioBridge: the leg is muted (as joined, or by a moderator). */
  muted?: boolean;
  feed?: string;
  pc?: FakePeerConnection;
  channel?: FakeDataChannel;
  /** Subscriber configure requests, for assertions. */
  configures?: Frame[];
}

interface Session {
  id: number;
  connection: FakeConnection;
  handles: Map<number, Handle>;
}

let nextId = 1000;
const newId = (): number => nextId++;

/** One client WebSocket as the fake server sees it. */
export class FakeConnection {
  readonly id: number;
  readonly url: string;
  readonly received: Frame[] = [];
  readonly sent: Frame[] = [];
  readonly sessions = new Set<Session>();
  closed = false;
  /** While true, frames in either direction are lost (a dead network without a close). */
  blackhole = false;
  readonly #janus: FakeJanus;
  readonly #handlers: SignalSocketHandlers;

  constructor(janus: FakeJanus, id: number, url: string, handlers: SignalSocketHandlers) {
    this.#janus = janus;
    this.id = id;
    this.url = url;
    this.#handlers = handlers;
  }

  /** Server → client. */
  push(frame: Frame): void {
    if (this.closed || this.blackhole) {
      return;
    }
    this.sent.push(frame);
    const text = JSON.stringify(frame);
    // Frames sent before a close still arrive before it, as on a real socket.
    setTimeout(() => this.#handlers.message(text), 0);
  }

  /** The server closes the connection (or the network drops it: 1006). */
  drop(code = 1006, reason = ''): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.#janus.connectionClosed(this);
    setTimeout(() => this.#handlers.close(code, reason), 0);
  }

  /** Client → server. */
  receive(text: string): void {
    if (this.closed || this.blackhole) {
      return;
    }
    const frame = JSON.parse(text) as Frame;
    this.received.push(frame);
    this.#janus.handle(this, frame);
  }

  /**
   * How long the server takes to notice that the client went (a dropped network is noticed
   * late); until then the client's sessions and participants live on.
   */
  lingerMs = 0;

  /** The client closed. */
  clientClosed(code: number | undefined): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.lingerMs > 0) {
      setTimeout(() => this.#janus.connectionClosed(this), this.lingerMs);
    } else {
      this.#janus.connectionClosed(this);
    }
    setTimeout(() => this.#handlers.close(code ?? 1005, ''), 0);
  }

  open(): void {
    setTimeout(() => this.#handlers.open(), 0);
  }
}

export interface FakeJanusOptions {
  /** Refuse a client frame as the gateway would (checked before anything else). */
  refuse?: (frame: Frame, connection: FakeConnection) => Refusal | undefined;
}

export class FakeJanus {
  readonly connections: FakeConnection[] = [];
  readonly #sessions = new Map<number, Session>();
  readonly #handles = new Map<number, Handle>();
  options: FakeJanusOptions;

  constructor(options: FakeJanusOptions = {}) {
    this.options = options;
  }

  /** A {@link MediaPlatform} whose sockets reach this server and whose media are fakes. */
  platform(): MediaPlatform {
    return {
      openSocket: this.connect,
      createPeerConnection: () => new FakePeerConnection().asPeerConnection,
      mixAudio: () => ({
        track: new FakeMediaStreamTrack('audio', 'mix').asTrack,
        close: () => undefined,
      }),
      pageOrigin: () => 'https://palaver.test',
    };
  }

  readonly connect: SignalSocketFactory = (url, protocol, handlers): SignalSocket => {
    const connection = new FakeConnection(this, this.connections.length + 1, url, handlers);
    this.connections.push(connection);
    if (protocol !== 'janus-protocol') {
      connection.drop(1002, 'no subprotocol');
    } else {
      connection.open();
    }
    return {
      send: (text) => connection.receive(text),
      close: (code) => connection.clientClosed(code),
    };
  };

  /** The latest connection. */
  get last(): FakeConnection {
    const connection = this.connections.at(-1);
    if (connection === undefined) {
      throw new Error('no connection yet');
    }
    return connection;
  }

  // ---------------------------------------------------------------------------- test controls

  /** AudioBridge registrations (roster handles) in a room, by participant id. */
  rosterIds(room: string): Map<string, string> {
    const ids = new Map<string, string>();
    for (const handle of this.#handles.values()) {
      const info = decodeDisplay(handle.display);
      if (
        handle.room === room &&
        handle.plugin === 'janus.plugin.audiobridge' &&
        info !== undefined &&
        info.stream === undefined &&
        handle.janusId !== undefined
      ) {
        ids.set(info.participantId, handle.janusId);
      }
    }
    return ids;
  }

  /** Someone else joins the AudioBridge (e.g. Palaver's phone bridge). */
  joinAudioBridge(
    connection: FakeConnection | undefined,
    room: string,
    display: DisplayInfo,
  ): string {
    const session: Session = {
      id: newId(),
      connection: connection ?? this.last,
      handles: new Map(),
    };
    const handle: Handle = {
      id: newId(),
      plugin: 'janus.plugin.audiobridge',
      session,
      room,
      janusId: `ab-${newId()}`,
      display: encode(display),
    };
    this.#handles.set(handle.id, handle);
    this.#broadcast(room, 'janus.plugin.audiobridge', handle, {
      audiobridge: 'joined',
      room,
      participants: [{ id: handle.janusId, display: handle.display, setup: true, muted: false }],
    });
    return handle.janusId ?? '';
  }

  /**
   * A moderator mutes (or unmutes) an AudioBridge leg, e.g. a phone caller's: Janus tells every
   * client of the room with a participant update.
   */
  muteAudioBridgeLeg(room: string, janusId: string, muted: boolean): void {
    const leg = [...this.#handles.values()].find(
      (handle) => handle.plugin === 'janus.plugin.audiobridge' && handle.janusId === janusId,
    );
    if (leg === undefined) {
      throw new Error(`no AudioBridge leg ${janusId}`);
    }
    leg.muted = muted;
    this.#broadcast(room, 'janus.plugin.audiobridge', leg, {
      audiobridge: 'event',
      room,
      participants: [{ id: janusId, display: leg.display, setup: true, muted }],
    });
  }

  /**
   * A server-side member of the room's TextRoom (e.g. the phone bridge) posts `text` as `from`
   * to everyone in the chat.
   */
  postChat(room: string, from: string, text: string): void {
    for (const handle of this.#handles.values()) {
      const channel = handle.channel;
      if (handle.plugin === 'janus.plugin.textroom' && handle.room === room && channel) {
        const message = { textroom: 'message', room, from, date: '2026-11-21T05:19:38+0000', text };
        setTimeout(() => channel.deliver(JSON.stringify(message)), 0);
      }
    }
  }

  /** A moderator kicks a participant (AudioBridge `kick`). */
  kick(room: string, participantId: string): void {
    const janusId = this.rosterIds(room).get(participantId);
    for (const handle of this.#handles.values()) {
      if (
        handle.room === room &&
        handle.plugin === 'janus.plugin.audiobridge' &&
        handle.janusId !== undefined
      ) {
        this.#event(handle, { audiobridge: 'event', room, kicked: janusId });
      }
    }
  }

  /** A moderator mutes (or unmutes) a publisher's audio or video; the gateway adds `<kind>-moderation`. */
  moderate(
    room: string,
    participantId: string,
    key: string,
    kind: 'audio' | 'video',
    muted: boolean,
  ): void {
    const publisher = [...this.#handles.values()].find((handle) => {
      const info = decodeDisplay(handle.display);
      return (
        handle.room === room &&
        handle.ptype === 'publisher' &&
        info?.participantId === participantId &&
        info.stream?.key === key
      );
    });
    if (publisher?.janusId === undefined) {
      throw new Error(`no publisher ${participantId}/${key}`);
    }
    const mid = publisher.streams?.find((s) => s.type === kind)?.mid ?? '0';
    if (muted) {
      publisher.moderated?.add(mid);
    } else {
      publisher.moderated?.delete(mid);
    }
    const data = {
      videoroom: 'event',
      room,
      id: publisher.janusId,
      mid,
      moderation: muted ? 'muted' : 'unmuted',
      [`${kind}-moderation`]: muted ? 'muted' : 'unmuted',
    };
    for (const handle of this.#videoRoomParticipants(room)) {
      this.#event(handle, data);
    }
  }

  /** Janus reports someone talking (or, with `talking` false, no longer) in the AudioBridge mix. */
  talkingInMix(room: string, participantId: string, talking = true): void {
    const leg = [...this.#handles.values()].find((handle) => {
      const info = decodeDisplay(handle.display);
      return (
        handle.room === room &&
        handle.plugin === 'janus.plugin.audiobridge' &&
        info?.participantId === participantId &&
        info.stream !== undefined
      );
    });
    this.#broadcast(room, 'janus.plugin.audiobridge', undefined, {
      audiobridge: talking ? 'talking' : 'stopped-talking',
      room,
      id: leg?.janusId,
    });
  }

  /** Client frames of a kind on a connection. */
  requests(connection: FakeConnection, janus?: string): Frame[] {
    return connection.received.filter((frame) => janus === undefined || frame.janus === janus);
  }

  /** Plugin requests (`message` bodies) of a connection, by request name. */
  bodies(connection: FakeConnection, request?: string): Frame[] {
    return connection.received
      .filter((frame) => frame.janus === 'message')
      .map((frame) => frame.body as Frame)
      .filter((body) => request === undefined || body.request === request);
  }

  /** The subscriber configure bodies sent for a feed. */
  subscriberConfigures(): Frame[] {
    return [...this.#handles.values()].flatMap((handle) => handle.configures ?? []);
  }

  /** The simulcast rids a publisher of a participant offered. */
  offeredRids(participantId: string, key: string): string[] {
    const handle = [...this.#handles.values()].find((h) => {
      const info = decodeDisplay(h.display);
      return (
        h.ptype === 'publisher' && info?.participantId === participantId && info.stream?.key === key
      );
    });
    const sdp = handle?.pc?.localDescription?.sdp ?? '';
    const rids = /rids=([a-z,]*)/.exec(sdp)?.[1] ?? '';
    return rids === '' ? [] : rids.split(',');
  }

  // ---------------------------------------------------------------------------- server

  handle(connection: FakeConnection, frame: Frame): void {
    const refusal = this.options.refuse?.(frame, connection);
    if (refusal !== undefined) {
      connection.push({
        janus: 'error',
        transaction: frame.transaction,
        status_code: refusal.status,
        error_message: refusal.message,
        error: { code: refusal.status, reason: refusal.message },
      });
      if (refusal.close !== undefined) {
        connection.drop(refusal.close, refusal.message);
      }
      return;
    }
    const transaction = frame.transaction;
    const reply = (body: Frame): void => connection.push({ ...body, transaction });
    const session =
      typeof frame.session_id === 'number' ? this.#sessions.get(frame.session_id) : undefined;
    switch (frame.janus) {
      case 'create': {
        const created: Session = { id: newId(), connection, handles: new Map() };
        this.#sessions.set(created.id, created);
        connection.sessions.add(created);
        reply({ janus: 'success', data: { id: created.id } });
        return;
      }
      case 'keepalive':
        reply({ janus: 'ack', session_id: session?.id });
        return;
      case 'attach': {
        if (session === undefined) {
          reply({ janus: 'error', error: { code: 458, reason: 'No such session' } });
          return;
        }
        const handle: Handle = { id: newId(), plugin: String(frame.plugin), session };
        session.handles.set(handle.id, handle);
        this.#handles.set(handle.id, handle);
        reply({ janus: 'success', session_id: session.id, data: { id: handle.id } });
        return;
      }
      case 'trickle':
        reply({ janus: 'ack', session_id: session?.id });
        return;
      case 'detach': {
        const handle = this.#handles.get(Number(frame.handle_id));
        if (handle !== undefined) {
          this.#detach(handle);
        }
        reply({ janus: 'success', session_id: session?.id });
        return;
      }
      case 'destroy':
        if (session !== undefined) {
          this.#destroy(session);
        }
        reply({ janus: 'success', session_id: session?.id });
        return;
      case 'message': {
        const handle = this.#handles.get(Number(frame.handle_id));
        if (handle === undefined) {
          reply({ janus: 'error', error: { code: 459, reason: 'No such handle' } });
          return;
        }
        reply({ janus: 'ack', session_id: session?.id });
        const body = frame.body as Frame;
        const jsep = frame.jsep as RTCSessionDescriptionInit | undefined;
        const answer = (data: Frame, answerJsep?: RTCSessionDescriptionInit): void =>
          connection.push({
            janus: 'event',
            session_id: handle.session.id,
            sender: handle.id,
            transaction,
            plugindata: { plugin: handle.plugin, data },
            ...(answerJsep === undefined ? {} : { jsep: answerJsep }),
          });
        this.#message(handle, body, jsep, answer);
        return;
      }
      default:
        reply({ janus: 'error', error: { code: 453, reason: 'Unknown request' } });
    }
  }

  #message(
    handle: Handle,
    body: Frame,
    jsep: RTCSessionDescriptionInit | undefined,
    answer: (data: Frame, jsep?: RTCSessionDescriptionInit) => void,
  ): void {
    const room = typeof body.room === 'string' ? body.room : handle.room;
    switch (`${handle.plugin}:${String(body.request)}`) {
      case 'janus.plugin.audiobridge:join': {
        handle.room = room;
        handle.display = String(body.display);
        handle.janusId = `ab-${newId()}`;
        const others = [...this.#handles.values()].filter(
          (h) =>
            h !== handle &&
            h.room === room &&
            h.plugin === handle.plugin &&
            h.janusId !== undefined,
        );
        answer({
          audiobridge: 'joined',
          room,
          id: handle.janusId,
          participants: others.map((h) => ({
            id: h.janusId,
            display: h.display,
            setup: true,
            muted: h.muted === true,
          })),
        });
        this.#broadcast(room ?? '', handle.plugin, handle, {
          audiobridge: 'joined',
          room,
          participants: [
            {
              id: handle.janusId,
              display: handle.display,
              setup: false,
              muted: body.muted === true,
            },
          ],
        });
        return;
      }
      case 'janus.plugin.audiobridge:configure':
        handle.pc = this.#link(jsep);
        answer(
          { audiobridge: 'event', room: handle.room, result: 'ok' },
          jsep === undefined ? undefined : { type: 'answer', sdp: 'fake janus recv=audio' },
        );
        return;
      case 'janus.plugin.videoroom:join': {
        handle.room = room;
        if (body.ptype === 'subscriber') {
          handle.ptype = 'subscriber';
          const feed =
            (body.streams as { feed: string }[] | undefined)?.[0]?.feed ?? String(body.feed);
          const publisher = [...this.#handles.values()].find(
            (h) => h.ptype === 'publisher' && h.janusId === feed && h.streams !== undefined,
          );
          if (publisher === undefined) {
            answer({ videoroom: 'event', error_code: 428, error: `No such feed (${feed})` });
            return;
          }
          handle.feed = feed;
          handle.configures = [];
          handle.janusId = `sub-${newId()}`;
          const streams = publisher.streams ?? [];
          answer(
            {
              videoroom: 'attached',
              room,
              streams: streams.map((s, index) => ({
                type: s.type,
                mid: String(index),
                feed_id: feed,
                feed_mid: s.mid,
                active: true,
              })),
            },
            { type: 'offer', sdp: `fake janus recv=${streams.map((s) => s.type).join(',')}` },
          );
          return;
        }
        handle.ptype = 'publisher';
        handle.display = String(body.display);
        handle.janusId = `pub-${newId()}`;
        handle.moderated = new Set();
        answer({
          videoroom: 'joined',
          room,
          description: 'fake',
          id: handle.janusId,
          private_id: newId(),
          publishers: this.#activePublishers(room ?? '', handle).map(publisherEntry),
          attendees: [],
        });
        return;
      }
      case 'janus.plugin.videoroom:configure': {
        if (handle.ptype === 'subscriber') {
          handle.configures?.push(body);
          answer({ videoroom: 'event', room: handle.room, configured: 'ok' });
          return;
        }
        const displayChanged = typeof body.display === 'string' && body.display !== handle.display;
        if (typeof body.display === 'string') {
          handle.display = body.display;
        }
        if (jsep !== undefined) {
          handle.pc = this.#link(jsep);
          const send = /send=([a-z,]*)/.exec(jsep.sdp ?? '')?.[1] ?? '';
          handle.streams = send
            .split(',')
            .filter((kind) => kind !== '')
            .map((type, index) => ({ type, mid: String(index) }));
          answer(
            { videoroom: 'event', room: handle.room, configured: 'ok', streams: handle.streams },
            { type: 'answer', sdp: 'fake janus recv=' },
          );
          // The PeerConnection comes up: the others hear of the new publisher.
          setTimeout(() => {
            for (const other of this.#videoRoomParticipants(handle.room ?? '')) {
              if (other !== handle) {
                this.#event(other, {
                  videoroom: 'event',
                  room: handle.room,
                  publishers: [publisherEntry(handle)],
                });
              }
            }
          }, 0);
          return;
        }
        answer({ videoroom: 'event', room: handle.room, configured: 'ok' });
        if (displayChanged && handle.streams !== undefined) {
          for (const other of this.#videoRoomParticipants(handle.room ?? '')) {
            if (other !== handle) {
              this.#event(other, {
                videoroom: 'event',
                id: handle.janusId,
                display: handle.display,
              });
            }
          }
        }
        return;
      }
      case 'janus.plugin.videoroom:start':
        handle.pc = this.#link(jsep);
        answer({ videoroom: 'event', room: handle.room, started: 'ok' });
        return;
      case 'janus.plugin.textroom:setup':
        handle.room = room;
        answer(
          { textroom: 'event', result: 'ok', janus_room_id: `text-${room ?? ''}` },
          { type: 'offer', sdp: 'fake janus recv= data' },
        );
        return;
      case 'janus.plugin.textroom:ack': {
        const pc = this.#link(jsep);
        handle.pc = pc;
        if (pc !== undefined) {
          pc.dataSink = (text, channel) => this.#onData(handle, channel, text);
        }
        answer({ textroom: 'event', result: 'ok' });
        return;
      }
      default:
        answer({
          error_code: 499,
          error: `fake janus: no ${handle.plugin} ${String(body.request)}`,
        });
    }
  }

  #onData(handle: Handle, channel: FakeDataChannel, text: string): void {
    handle.channel = channel;
    const frame = JSON.parse(text) as Frame;
    const reply = (body: Frame): void => {
      setTimeout(
        () => channel.deliver(JSON.stringify({ ...body, transaction: frame.transaction })),
        0,
      );
    };
    if (frame.textroom === 'join') {
      const taken = [...this.#handles.values()].some(
        (h) =>
          h !== handle &&
          h.plugin === handle.plugin &&
          h.room === handle.room &&
          h.janusId === frame.username,
      );
      if (taken) {
        reply({ textroom: 'error', error_code: 420, error: 'Username already taken' });
        return;
      }
      handle.janusId = String(frame.username);
      reply({ textroom: 'success', participants: [] });
      return;
    }
    if (frame.textroom === 'message') {
      const tos = Array.isArray(frame.tos) ? (frame.tos as string[]) : undefined;
      for (const other of this.#handles.values()) {
        if (
          other.plugin !== handle.plugin ||
          other.room !== handle.room ||
          other.channel === undefined ||
          other.janusId === undefined
        ) {
          continue;
        }
        if (tos !== undefined && !tos.includes(other.janusId)) {
          continue;
        }
        const message = {
          textroom: 'message',
          room: frame.room,
          from: handle.janusId,
          date: '2026-11-21T05:19:38+0000',
          text: frame.text,
          ...(tos === undefined ? {} : { whisper: true }),
        };
        const target = other.channel;
        setTimeout(() => target.deliver(JSON.stringify(message)), 0);
      }
      reply({ textroom: 'success' });
    }
  }

  /** The FakePeerConnection whose SDP this is. */
  #link(jsep: RTCSessionDescriptionInit | undefined): FakePeerConnection | undefined {
    const id = /pc=(\d+)/.exec(jsep?.sdp ?? '')?.[1];
    return id === undefined ? undefined : FakePeerConnection.byId.get(Number(id));
  }

  #activePublishers(room: string, except: Handle): Handle[] {
    return [...this.#handles.values()].filter(
      (h) => h !== except && h.room === room && h.ptype === 'publisher' && h.streams !== undefined,
    );
  }

  #videoRoomParticipants(room: string): Handle[] {
    return [...this.#handles.values()].filter((h) => h.room === room && h.ptype === 'publisher');
  }

  #event(handle: Handle, data: Frame): void {
    handle.session.connection.push({
      janus: 'event',
      session_id: handle.session.id,
      sender: handle.id,
      plugindata: { plugin: handle.plugin, data },
    });
  }

  #broadcast(room: string, plugin: string, except: Handle | undefined, data: Frame): void {
    for (const handle of this.#handles.values()) {
      if (
        handle !== except &&
        handle.room === room &&
        handle.plugin === plugin &&
        handle.janusId !== undefined &&
        handle.ptype !== 'subscriber'
      ) {
        this.#event(handle, data);
      }
    }
  }

  #detach(handle: Handle): void {
    if (!this.#handles.delete(handle.id)) {
      return;
    }
    handle.session.handles.delete(handle.id);
    const room = handle.room ?? '';
    if (handle.plugin === 'janus.plugin.audiobridge' && handle.janusId !== undefined) {
      this.#broadcast(room, handle.plugin, handle, {
        audiobridge: 'event',
        room,
        leaving: handle.janusId,
      });
    }
    if (handle.plugin === 'janus.plugin.videoroom' && handle.ptype === 'publisher') {
      for (const other of this.#videoRoomParticipants(room)) {
        if (handle.streams !== undefined) {
          this.#event(other, { videoroom: 'event', room, unpublished: handle.janusId });
        }
        this.#event(other, { videoroom: 'event', room, leaving: handle.janusId });
      }
    }
  }

  #destroy(session: Session): void {
    for (const handle of [...session.handles.values()]) {
      this.#detach(handle);
    }
    this.#sessions.delete(session.id);
    session.connection.sessions.delete(session);
  }

  /** Janus destroys a connection's sessions when its transport closes. */
  connectionClosed(connection: FakeConnection): void {
    for (const session of [...connection.sessions]) {
      this.#destroy(session);
    }
  }
}

function publisherEntry(handle: Handle): Frame {
  return {
    id: handle.janusId,
    display: handle.display,
    audio_codec: 'opus',
    video_codec: 'vp8',
    streams: handle.streams?.map((s) => ({
      ...s,
      ...(handle.moderated?.has(s.mid) === true ? { moderated: true } : {}),
    })),
    ...(handle.streams?.some((s) => s.type === 'audio' && handle.moderated?.has(s.mid) === true) ===
    true
      ? { audio_moderated: true }
      : {}),
  };
}

function encode(info: DisplayInfo): string {
  return Buffer.from(JSON.stringify(info)).toString('base64');
}
