import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getDevices, openRoom, signallingUrl, version } from './initialize.js';
import { FakeJanus } from './testing/FakeJanus.js';
import { VideoError } from './VideoError.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('initialize', () => {
  it('dials <server>/<roomId>/janus, wss for https and ws for http, under any base path', () => {
    expect(signallingUrl('https://video.example.com', 'room-1')).toBe(
      'wss://video.example.com/room-1/janus',
    );
    expect(signallingUrl('http://127.0.0.1:8080/', 'room-1')).toBe(
      'ws://127.0.0.1:8080/room-1/janus',
    );
    expect(signallingUrl('https://example.com/palaver/', 'r')).toBe(
      'wss://example.com/palaver/r/janus',
    );
    expect(signallingUrl('wss://example.com', 'r')).toBe('wss://example.com/r/janus');
    expect(() => signallingUrl('ftp://example.com', 'r')).toThrow(VideoError);
    expect(() => signallingUrl(undefined, 'r')).toThrow(/no server/);
  });

  it("uses the page's origin when no server is given, and opens the session at once", async () => {
    const janus = new FakeJanus();
    const room = await openRoom(
      { roomId: 'room-1', clientToken: 't', logLevel: 'OFF' },
      janus.platform(),
    );
    expect(janus.last.url).toBe('wss://palaver.test/room-1/janus');
    expect(janus.requests(janus.last).map((f) => f.janus)).toEqual(['create']);
    expect(room.getState().status).toBe('initialized');
    await room.disconnect();
  });

  it('checks its options with typed errors', async () => {
    const platform = new FakeJanus().platform();
    await expect(openRoom({ roomId: '', clientToken: 't' }, platform)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(openRoom({ roomId: 'r', clientToken: '' }, platform)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(
      openRoom({ roomId: 'r', clientToken: 't', logLevel: 'LOUD' as never }, platform),
    ).rejects.toThrow(/logLevel/);
    await expect(
      openRoom({ roomId: 'r', clientToken: 't', context: { name: 'x' } as never }, platform),
    ).rejects.toThrow(/context/);
  });

  it('rejects with the reason when the server refuses the token', async () => {
    const janus = new FakeJanus({
      refuse: () => ({ status: 401, message: 'token expired', close: 4001 }),
    });
    await expect(
      openRoom({ roomId: 'r', clientToken: 'old', logLevel: 'OFF' }, janus.platform()),
    ).rejects.toMatchObject({ code: 'unauthorized', message: 'token expired' });
  });

  it("states the package's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toBe(pkg.version);
  });
});

describe('getDevices', () => {
  it('lists microphones, cameras and speakers, naming unlabelled ones', async () => {
    vi.stubGlobal('navigator', {
      mediaDevices: {
        enumerateDevices: () =>
          Promise.resolve([
            { kind: 'audioinput', label: 'Built-in Mic', deviceId: 'a1' },
            { kind: 'videoinput', label: '', deviceId: 'v1' },
            { kind: 'videoinput', label: '', deviceId: 'v2' },
            { kind: 'audiooutput', label: '', deviceId: 'o1' },
          ]),
      },
    });
    expect(await getDevices()).toEqual({
      audioinput: [{ label: 'Built-in Mic', id: 'a1' }],
      videoinput: [
        { label: 'Camera 1', id: 'v1' },
        { label: 'Camera 2', id: 'v2' },
      ],
      audiooutput: [{ label: 'Speaker 1', id: 'o1' }],
    });
  });

  it('answers undefined where the browser cannot list devices', async () => {
    vi.stubGlobal('navigator', {});
    expect(await getDevices()).toBeUndefined();
  });
});
