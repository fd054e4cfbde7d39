import '../types.js';

// In-memory stand-ins for the browser's media objects: enough of MediaStreamTrack,
// RTCPeerConnection and RTCDataChannel for the SDK to run in Node against FakeJanus. SDPs are
// plain text that FakeJanus reads: "fake pc=<id> send=audio,video rids=h,m,l" from the
// client, "fake janus recv=audio,video data" from the server.

let nextTrack = 1;

export class FakeMediaStreamTrack {
  readonly id = `track-${nextTrack++}`;
  readonly kind: 'audio' | 'video';
  readonly label: string;
  enabled = true;
  readyState: 'live' | 'ended' = 'live';

  constructor(kind: 'audio' | 'video', label = `${kind} ${nextTrack}`) {
    this.kind = kind;
    this.label = label;
  }

  stop(): void {
    this.readyState = 'ended';
  }

  /** As the SDK sees it. */
  get asTrack(): MediaStreamTrack {
    return this as unknown as MediaStreamTrack;
  }
}

export function fakeTrack(kind: 'audio' | 'video'): MediaStreamTrack {
  return new FakeMediaStreamTrack(kind).asTrack;
}

class FakeSender {
  track: MediaStreamTrack | null = null;
  readonly kind: 'audio' | 'video';
  readonly sendEncodings: RTCRtpEncodingParameters[];

  constructor(kind: 'audio' | 'video', sendEncodings: RTCRtpEncodingParameters[]) {
    this.kind = kind;
    this.sendEncodings = sendEncodings;
  }

  replaceTrack(track: MediaStreamTrack | null): Promise<void> {
    this.track = track;
    return Promise.resolve();
  }

  getStats(): Promise<Map<string, object>> {
    return Promise.resolve(
      new Map([[`out-${this.kind}`, { id: `out-${this.kind}`, type: 'outbound-rtp' }]]),
    );
  }
}

class FakeReceiver {
  track: MediaStreamTrack | null = null;

  getStats(): Promise<Map<string, object>> {
    const kind = this.track?.kind ?? 'audio';
    return Promise.resolve(new Map([[`in-${kind}`, { id: `in-${kind}`, type: 'inbound-rtp' }]]));
  }
}

export class FakeDataChannel extends EventTarget {
  readonly label: string;
  readyState: RTCDataChannelState = 'connecting';
  readonly sent: string[] = [];
  readonly #pc: FakePeerConnection;

  constructor(label: string, pc: FakePeerConnection) {
    super();
    this.label = label;
    this.#pc = pc;
    setTimeout(() => {
      if (this.readyState === 'connecting') {
        this.readyState = 'open';
        this.dispatchEvent(new Event('open'));
      }
    }, 0);
  }

  send(text: string): void {
    if (this.readyState !== 'open') {
      throw new Error('InvalidStateError: the data channel is not open');
    }
    this.sent.push(text);
    this.#pc.dataSink?.(text, this);
  }

  /** Janus sends `text` on this channel. */
  deliver(text: string): void {
    if (this.readyState !== 'open') {
      return;
    }
    const event = new Event('message') as Event & { data: string };
    Object.defineProperty(event, 'data', { value: text });
    this.dispatchEvent(event);
  }

  close(): void {
    if (this.readyState === 'closed') {
      return;
    }
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

let nextPc = 1;

export class FakePeerConnection extends EventTarget {
  static readonly byId = new Map<number, FakePeerConnection>();
  readonly id = nextPc++;
  readonly transceivers: {
    mid: string;
    direction: string;
    sender: FakeSender;
    receiver: FakeReceiver;
  }[] = [];
  readonly channels: FakeDataChannel[] = [];
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  /** Where FakeJanus hears this PeerConnection's data channels. */
  dataSink: ((text: string, channel: FakeDataChannel) => void) | undefined;

  constructor() {
    super();
    FakePeerConnection.byId.set(this.id, this);
  }

  get asPeerConnection(): RTCPeerConnection {
    return this as unknown as RTCPeerConnection;
  }

  addTransceiver(kind: 'audio' | 'video', init: RTCRtpTransceiverInit = {}) {
    const transceiver = {
      mid: String(this.transceivers.length),
      direction: init.direction ?? 'sendrecv',
      sender: new FakeSender(kind, init.sendEncodings ?? []),
      receiver: new FakeReceiver(),
    };
    this.transceivers.push(transceiver);
    return transceiver;
  }

  createOffer(): Promise<RTCSessionDescriptionInit> {
    const send = this.transceivers.map((t) => t.sender.kind).join(',');
    const rids = this.transceivers
      .flatMap((t) => t.sender.sendEncodings.map((e) => e.rid))
      .join(',');
    return Promise.resolve({ type: 'offer', sdp: `fake pc=${this.id} send=${send} rids=${rids}` });
  }

  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return Promise.resolve({ type: 'answer', sdp: `fake pc=${this.id} answer` });
  }

  setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.#checkOpen();
    this.localDescription = description;
    setTimeout(() => {
      if (this.signalingState === 'closed') {
        return;
      }
      const candidate = { candidate: `candidate:${this.id} 1 udp 1 127.0.0.1 9 typ host` };
      this.#dispatch('icecandidate', { candidate: { ...candidate, toJSON: () => candidate } });
      this.#dispatch('icecandidate', { candidate: null });
    }, 0);
    return Promise.resolve();
  }

  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.#checkOpen();
    this.remoteDescription = description;
    const recv = /recv=([a-z,]*)/.exec(description.sdp ?? '')?.[1] ?? '';
    for (const kind of recv.split(',')) {
      if (kind === 'audio' || kind === 'video') {
        const track = fakeTrack(kind);
        const receiver = new FakeReceiver();
        receiver.track = track;
        this.transceivers.push({
          mid: String(this.transceivers.length),
          direction: 'recvonly',
          sender: new FakeSender(kind, []),
          receiver,
        });
        this.#dispatch('track', { track, streams: [] });
      }
    }
    setTimeout(() => {
      if (this.connectionState === 'new') {
        this.connectionState = 'connected';
        this.#dispatch('connectionstatechange', {});
      }
    }, 0);
    return Promise.resolve();
  }

  /** ICE gives up: the media path is gone. */
  fail(): void {
    this.connectionState = 'failed';
    this.#dispatch('connectionstatechange', {});
  }

  createDataChannel(label: string): FakeDataChannel {
    const channel = new FakeDataChannel(label, this);
    this.channels.push(channel);
    return channel;
  }

  getSenders(): FakeSender[] {
    return this.transceivers.map((t) => t.sender);
  }

  getReceivers(): FakeReceiver[] {
    return this.transceivers.map((t) => t.receiver);
  }

  getStats(): Promise<Map<string, object>> {
    return Promise.resolve(new Map<string, object>());
  }

  close(): void {
    if (this.signalingState === 'closed') {
      return;
    }
    this.signalingState = 'closed';
    this.connectionState = 'closed';
    for (const channel of this.channels) {
      channel.close();
    }
  }

  #checkOpen(): void {
    if (this.signalingState === 'closed') {
      throw new Error('InvalidStateError: the PeerConnection is closed');
    }
  }

  #dispatch(type: string, fields: Record<string, unknown>): void {
    const event = new Event(type);
    for (const [name, value] of Object.entries(fields)) {
      Object.defineProperty(event, name, { value });
    }
    this.dispatchEvent(event);
  }
}
