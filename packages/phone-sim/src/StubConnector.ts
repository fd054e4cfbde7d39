import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { StubStream } from './StubStream.js';
import { PhoneSimError, PhoneSimErrorCode } from './errors.js';
import { appMediaFrame, parseTelnyxFrame, type TelnyxStreamFrame } from './frames.js';
import type { StreamTrackOption } from './texml.js';
import { TypedEmitter } from './TypedEmitter.js';
import { verifyWebhookSignature } from './WebhookSigner.js';

/** One webhook request the stub received. */
export interface StubWebhook {
  method: string;
  path: string;
  /** The raw query string (without `?`). */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** Parameters from the form body (POST) or the query (GET), in order. */
  fields: Array<[string, string]>;
  /** With a `publicKey`: whether the Ed25519 signature checked out. */
  signature: 'valid' | 'invalid' | 'absent' | 'unchecked';
  /** `voice` (answered with TeXML), `stream-status` or `call-status`. */
  kind: 'voice' | 'stream-status' | 'call-status';
}

export interface StubConnectorOptions {
  host?: string;
  port?: number;
  /** Verify webhook signatures with this base64 raw Ed25519 public key. */
  publicKey?: string;
  /** Refuse unsigned or wrongly signed voice webhooks with 401 (needs `publicKey`). */
  requireSignature?: boolean;
  track?: StreamTrackOption;
  bidirectionalMode?: 'rtp' | 'mp3';
  bidirectionalCodec?: string;
  /** `<Parameter>`s put into the `<Stream>`. */
  parameters?: Record<string, string>;
  /** Add `statusCallback` to the `<Stream>`, pointing back at the stub. */
  streamStatusCallback?: boolean;
  /** TeXML to answer with instead of the default; `{{STREAM_URL}}` is replaced (XML-escaped). */
  texml?: string;
  /** `echo`: send every inbound payload straight back; `none`: send nothing. */
  audio?: 'echo' | 'none';
  /** Keep every frame's text (default true; a load run turns it off and keeps counters only). */
  keepFrames?: boolean;
  /** A stream `ref` is good for this long after the webhook answer (default 90 s), and only once. */
  refTtlMs?: number;
  /** Close the socket when `stop` arrives (default true). */
  closeOnStop?: boolean;
}

export type StubConnectorEvents = {
  webhook: [webhook: StubWebhook];
  stream: [stream: StubStream];
  frame: [stream: StubStream, frame: TelnyxStreamFrame, text: string];
  streamClosed: [stream: StubStream];
};

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * A minimal application on the other side of the simulator — what a Palaver connector does, and
 * no more: answers the voice webhook with `<Start><Stream>` TeXML and a fresh one-time `ref`,
 * accepts the stream, validates and records every frame, and optionally echoes the caller's
 * audio back. For the simulator's own tests and benchmarks, and `palaver-phone-sim stub`.
 */
export class StubConnector extends TypedEmitter<StubConnectorEvents> {
  readonly webhooks: StubWebhook[] = [];
  readonly streams: StubStream[] = [];
  private readonly options: StubConnectorOptions;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly refs = new Map<string, number>();
  private port = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: StubConnectorOptions = {}) {
    super();
    this.options = options;
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
  }

  async listen(): Promise<this> {
    if (this.closed) {
      throw new PhoneSimError(PhoneSimErrorCode.Closed, 'the stub connector is closed');
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    return this;
  }

  private get origin(): string {
    const host = this.options.host ?? '127.0.0.1';
    return `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** The voice webhook URL to give the simulator. */
  get webhookUrl(): string {
    return `http://${this.origin}/v2/hooks/telnyx/whk_stub`;
  }

  /** Where stream status callbacks go. */
  get statusUrl(): string {
    return `http://${this.origin}/status/stream`;
  }

  /** Where call-progress callbacks may be sent. */
  get callStatusUrl(): string {
    return `http://${this.origin}/status/call`;
  }

  /** Resolves with the next stream that opens. */
  nextStream(): Promise<StubStream> {
    return new Promise((resolve) => this.once('stream', resolve));
  }

  close(): Promise<void> {
    if (this.closing !== undefined) {
      return this.closing;
    }
    this.closed = true;
    for (const client of this.wss.clients) {
      client.terminate();
    }
    this.closing = new Promise<void>((resolve) => {
      this.wss.close(() => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    });
    return this.closing;
  }

  private texml(streamUrl: string): string {
    if (this.options.texml !== undefined) {
      return this.options.texml.replace(/\{\{STREAM_URL\}\}/g, escapeXml(streamUrl));
    }
    const attributes = [
      `url="${escapeXml(streamUrl)}"`,
      `track="${this.options.track ?? 'both_tracks'}"`,
      `bidirectionalMode="${this.options.bidirectionalMode ?? 'rtp'}"`,
      `bidirectionalCodec="${this.options.bidirectionalCodec ?? 'PCMU'}"`,
    ];
    if (this.options.streamStatusCallback === true) {
      attributes.push(`statusCallback="${escapeXml(this.statusUrl)}"`, 'name="stub"');
    }
    const parameters = Object.entries(this.options.parameters ?? {})
      .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
      .join('');
    const stream =
      parameters === ''
        ? `<Stream ${attributes.join(' ')} />`
        : `<Stream ${attributes.join(' ')}>${parameters}</Stream>`;
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Start>${stream}</Start><Pause length="86400" /></Response>`;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://stub');
      const query = url.search.startsWith('?') ? url.search.slice(1) : '';
      const form = req.method === 'GET' ? query : rawBody;
      const kind: StubWebhook['kind'] = url.pathname.startsWith('/status/stream')
        ? 'stream-status'
        : url.pathname.startsWith('/status/call')
          ? 'call-status'
          : 'voice';
      let signature: StubWebhook['signature'] = 'unchecked';
      if (this.options.publicKey !== undefined) {
        signature =
          req.headers['telnyx-signature-ed25519'] === undefined
            ? 'absent'
            : verifyWebhookSignature(rawBody, req.headers, this.options.publicKey)
              ? 'valid'
              : 'invalid';
      }
      const webhook: StubWebhook = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query,
        headers: { ...req.headers },
        rawBody,
        fields: [...new URLSearchParams(form).entries()],
        signature,
        kind,
      };
      this.webhooks.push(webhook);
      this.emit('webhook', webhook);
      if (kind !== 'voice') {
        res.writeHead(200).end();
        return;
      }
      if (this.options.requireSignature === true && signature !== 'valid') {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature');
        return;
      }
      const ref = randomBytes(12).toString('base64url');
      this.refs.set(ref, Date.now() + (this.options.refTtlMs ?? 90_000));
      const streamUrl = `ws://${this.origin}/stream?ref=${ref}&leg=1`;
      res.writeHead(200, { 'content-type': 'text/xml' }).end(this.texml(streamUrl));
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://stub');
    const ref = url.searchParams.get('ref') ?? '';
    const expires = this.refs.get(ref);
    if (url.pathname !== '/stream' || expires === undefined || expires < Date.now()) {
      // Unknown, reused or expired ref: refuse the upgrade.
      this.refs.delete(ref);
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.refs.delete(ref);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onStream(ref, ws));
  }

  private onStream(ref: string, ws: WebSocket): void {
    const stream = new StubStream(ref, ws);
    this.streams.push(stream);
    const keep = this.options.keepFrames ?? true;
    const echo = (this.options.audio ?? 'echo') === 'echo';
    ws.on('message', (data: RawData) => {
      const text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.concat(data as Buffer[]).toString('utf8');
      stream.counts.messages += 1;
      const result = parseTelnyxFrame(text);
      if (!result.ok) {
        stream.invalid.push({ text, detail: result.detail });
        return;
      }
      const frame = result.frame;
      if (keep) {
        stream.frames.push(text);
        stream.parsed.push(frame);
      }
      switch (frame.event) {
        case 'start':
          stream.started = true;
          break;
        case 'media':
          if (frame.media.track === 'inbound') {
            stream.counts.inbound += 1;
            stream.noteInboundChunk(Number(frame.media.chunk));
            if (echo) {
              stream.send(appMediaFrame(frame.media.payload));
            }
          } else {
            stream.counts.outbound += 1;
          }
          break;
        case 'dtmf':
          stream.counts.dtmf += 1;
          break;
        case 'mark':
          stream.counts.marks += 1;
          break;
        case 'error':
          stream.counts.errors += 1;
          break;
        case 'stop':
          stream.counts.stops += 1;
          stream.stopped = true;
          if (this.options.closeOnStop ?? true) {
            ws.close(1000, 'stream stopped');
          }
          break;
        default:
          break;
      }
      if (this.listenerCount('frame') > 0) {
        this.emit('frame', stream, frame, text);
      }
    });
    ws.on('close', (code: number) => {
      stream.closeCode = code;
      this.emit('streamClosed', stream);
    });
    ws.on('error', () => {
      // A torn connection shows as its close code; nothing else to do.
    });
    this.emit('stream', stream);
  }
}
