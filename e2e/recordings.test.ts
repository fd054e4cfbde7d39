import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallerAudio, SimulatedCall, detectTone, int16ToFloat, tone } from '@palaver/phone-sim';
import { apiClient } from '../packages/server/test/support/testServer.js';
import { decodePcm, ffprobe } from '../packages/server/test/recording/support.js';
import { connectorInto } from '../packages/server/test/telephony/support.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPalaver } from './support/harness.js';
import { startPalaverVideoPageServer } from './support/palaverVideoPage.js';
import { inPage, view } from './support/sdkPage.js';

// A recorded room: two Chromium pages on @palaver/video (fake camera and microphone) and a
// phone-sim caller for about 20 s. Each browser stream becomes a video and an audio recording
// and the caller an audio recording, each as long as it was in the room; the caller's tone is in
// its file; downloads serve ranges; a composition of the session is an H.264 + AAC MP4 at the
// asked size and length with both cameras in it; a 2-region layout puts each camera where it
// says; bulk deletion removes the recordings and their files.

const run = promisify(execFile);

/** The converted track files in a session folder. */
const trackFiles = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
const IN_ROOM_MS = 20_000;

/**
 * How bright a rectangle of a video frame `atSecs` into the file is: the mean over its pixels of
 * the brightest of R, G and B (0 black, 255 full), so a saturated colour counts as bright.
 */
async function brightnessOf(
  file: string,
  atSecs: number,
  size: { width: number; height: number },
  rect: { x: number; y: number; width: number; height: number },
): Promise<number> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', String(atSecs), '-i', file, '-frames:v', '1', '-f', 'rawvideo'].concat([
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ]),
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const pixels = stdout as unknown as Buffer;
  let sum = 0;
  for (let y = rect.y; y < rect.y + rect.height; y += 1) {
    for (let x = rect.x; x < rect.x + rect.width; x += 1) {
      const at = (y * size.width + x) * 3;
      sum += Math.max(pixels[at] ?? 0, pixels[at + 1] ?? 0, pixels[at + 2] ?? 0);
    }
  }
  return sum / (rect.width * rect.height);
}

describe('recording a room with browsers and a phone caller', () => {
  let palaver: E2eServer;
  let pages: Awaited<ReturnType<typeof startPalaverVideoPageServer>>;
  let ana: BrowserPage;
  let ben: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let roomId: string;
  let sessionId: string;
  /** When each participant's media started and stopped, as the test saw it. */
  const inRoom: Record<string, { from: number; to: number; participantId: string }> = {};

  beforeAll(async () => {
    palaver = await startPalaver();
    api = apiClient(palaver.url, palaver.apiKey);
    pages = await startPalaverVideoPageServer();
    [ana, ben] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort),
      openBrowserPage(pages.url, palaver.tlsPort),
    ]);
    roomId = (await api('POST', '/v2/rooms', { enable_recording: true })).body.data.id;
  });
  afterAll(async () => {
    await Promise.allSettled([ana?.close(), ben?.close()]);
    await pages?.close();
    await palaver?.close();
  });

  const recordings = async () =>
    (await api('GET', `/v2/room_recordings?filter[session_id]=${sessionId}&page[size]=50`)).body
      .data as any[];

  it('records every browser stream and the caller, each for as long as it was there', async () => {
    const server = `https://127.0.0.1:${palaver.tlsPort}`;
    const call = new SimulatedCall({
      webhookUrl: await connectorInto(api, palaver.url, roomId),
      from: '+13125550199',
      audio: new CallerAudio(tone({ frequency: 1000, durationMs: IN_ROOM_MS, levelDbfs: -12 })),
      durationMs: IN_ROOM_MS,
    });

    const enter = async (page: BrowserPage, name: string) => {
      const token = (
        await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})
      ).body.data.token;
      await inPage(page, 'connect', { roomId, token, context: JSON.stringify({ name }), server });
      await inPage(page, 'publish');
      inRoom[name] = {
        from: Date.now(),
        to: 0,
        participantId: (await view(page)).localParticipantId,
      };
    };
    await enter(ana, 'ana');
    const callStartedAt = Date.now();
    const calling = call.run();
    await enter(ben, 'ben');
    await new Promise((resolve) => setTimeout(resolve, IN_ROOM_MS - (Date.now() - callStartedAt)));
    for (const [page, name] of [
      [ben, 'ben'],
      [ana, 'ana'],
    ] as const) {
      await inPage(page, 'disconnect');
      inRoom[name]!.to = Date.now();
    }
    const summary = await calling;
    expect(summary.status).toBe('completed');
    inRoom.phone = { from: callStartedAt, to: Date.now(), participantId: '' };

    sessionId = (await api('GET', `/v2/rooms/${roomId}/sessions`)).body.data[0].id;
    await expect
      .poll(async () => (await recordings()).filter((r) => r.status === 'completed').length, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(5);
    const all = await recordings();
    const byParticipant = (participantId: string) =>
      all
        .filter((r) => r.participant_id === participantId)
        .map((r) => r.type)
        .sort();
    expect(byParticipant(inRoom.ana!.participantId)).toEqual(['audio', 'video']);
    expect(byParticipant(inRoom.ben!.participantId)).toEqual(['audio', 'video']);
    const phone = all.filter((r) => r.stream_key === 'audiobridge');
    expect(phone.map((r) => [r.type, r.codec])).toEqual([['audio', 'opus']]);
    inRoom.phone.participantId = phone[0].participant_id;

    const root = palaver.server.recordings.root;
    const figures: Record<string, number> = {};
    for (const recording of all) {
      const name = Object.keys(inRoom).find(
        (n) => inRoom[n]!.participantId === recording.participant_id,
      )!;
      const expectedSecs = (inRoom[name]!.to - inRoom[name]!.from) / 1000;
      const downloaded = await fetch(recording.download_url);
      expect(downloaded.status).toBe(200);
      // Read to the end: an unread body keeps its connection busy and the server from closing.
      const bytes = (await downloaded.arrayBuffer()).byteLength;
      expect(bytes / 1_048_576).toBeCloseTo(recording.size_mb, 1);
      const probed = await ffprobe(recording.download_url);
      figures[`${name}-${recording.type}`] = +probed.durationSecs.toFixed(2);
      // Within ±10 % of the time the participant was in the room.
      expect(probed.durationSecs).toBeGreaterThan(expectedSecs * 0.9);
      expect(probed.durationSecs).toBeLessThan(expectedSecs * 1.1);
      expect(probed.streams.map((s) => s.codec_name)).toEqual([recording.codec]);
    }
    expect(trackFiles(join(root, roomId, sessionId))).toHaveLength(5);
    console.log('e2e recordings: seconds per track', JSON.stringify(figures));

    // The caller's recording holds the tone it played.
    const pcm = await decodePcm(phone[0].download_url, 8000);
    const detected = detectTone(int16ToFloat(pcm.subarray(16_000, 16_000 + 8000 * 10)), 8000, 1000);
    expect(detected.present).toBe(true);
    expect(detected.levelDbfs).toBeGreaterThan(-16);

    // A video download by ranges: two halves that add up to the whole file.
    const video = all.find((r) => r.type === 'video')!;
    const whole = Buffer.from(await (await fetch(video.download_url)).arrayBuffer());
    const half = Math.floor(whole.length / 2);
    const first = await fetch(video.download_url, { headers: { range: `bytes=0-${half - 1}` } });
    const second = await fetch(video.download_url, { headers: { range: `bytes=${half}-` } });
    expect([first.status, second.status]).toEqual([206, 206]);
    expect(
      Buffer.concat([
        Buffer.from(await first.arrayBuffer()),
        Buffer.from(await second.arrayBuffer()),
      ]),
    ).toEqual(whole);
  });

  it('composes the session into an MP4 with both cameras, and honours a 2-region layout', async () => {
    const session = (await api('GET', `/v2/room_sessions/${sessionId}?include_participants=true`))
      .body.data;
    const lastLeft = Math.max(...session.participants.map((p: any) => Date.parse(p.left_at)));
    const sessionSecs = (lastLeft - Date.parse(session.created_at)) / 1000;
    const videos = (await recordings()).filter((r) => r.type === 'video');
    const anaVideo = videos.find((r) => r.participant_id === inRoom.ana!.participantId)!;
    const benVideo = videos.find((r) => r.participant_id === inRoom.ben!.participantId)!;

    const compose = async (body: Record<string, unknown>) => {
      const created = await api('POST', '/v2/room_compositions', {
        session_id: sessionId,
        ...body,
      });
      expect(created.status).toBe(202);
      const id = created.body.data.id as string;
      const progress = new Set<number>();
      await expect
        .poll(
          async () => {
            const current = (await api('GET', `/v2/room_compositions/${id}`)).body.data;
            progress.add(current.progress);
            return current.status;
          },
          { timeout: 90_000, interval: 300 },
        )
        .toBe('completed');
      const composition = (await api('GET', `/v2/room_compositions/${id}`)).body.data;
      return { composition, progress: [...progress].sort((a, b) => a - b) };
    };

    const size = { width: 640, height: 360 };
    const grid = await compose({ resolution: '640x360' });
    expect(grid.progress.at(-1)).toBe(100);
    const gridProbe = await ffprobe(grid.composition.download_url);
    expect(gridProbe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const picture = gridProbe.streams.find((s) => s.codec_type === 'video')!;
    expect([picture.width, picture.height]).toEqual([640, 360]);
    expect(gridProbe.durationSecs).toBeGreaterThan(sessionSecs * 0.95);
    expect(gridProbe.durationSecs).toBeLessThan(sessionSecs * 1.05);
    // Mid-session both cameras are in the grid, side by side.
    const file = grid.composition.download_url as string;
    const mid = sessionSecs / 2;
    const left = await brightnessOf(file, mid, size, { x: 0, y: 0, width: 320, height: 360 });
    const right = await brightnessOf(file, mid, size, { x: 320, y: 0, width: 320, height: 360 });
    console.log(
      'e2e composition',
      JSON.stringify({ sessionSecs, durationSecs: gridProbe.durationSecs, left, right }),
    );
    expect(left).toBeGreaterThan(40);
    expect(right).toBeGreaterThan(40);

    // Two regions: Ana's camera top left, Ben's bottom right, black elsewhere.
    const regions = await compose({
      resolution: '640x360',
      video_layout: {
        first: { x_pos: 0, y_pos: 0, width: 320, height: 180, video_sources: [anaVideo.id] },
        second: { x_pos: 320, y_pos: 180, width: 320, height: 180, video_sources: [benVideo.id] },
      },
    });
    const quadrant = (x: number, y: number) =>
      brightnessOf(regions.composition.download_url, mid, size, { x, y, width: 320, height: 180 });
    const [topLeft, topRight, bottomLeft, bottomRight] = await Promise.all([
      quadrant(0, 0),
      quadrant(320, 0),
      quadrant(0, 180),
      quadrant(320, 180),
    ]);
    console.log(
      'e2e composition regions',
      JSON.stringify({ topLeft, topRight, bottomLeft, bottomRight }),
    );
    expect(topLeft).toBeGreaterThan(40);
    expect(bottomRight).toBeGreaterThan(40);
    expect(topRight).toBeLessThan(10);
    expect(bottomLeft).toBeLessThan(10);
  });

  it('rejects compositions it cannot make with 422', async () => {
    const tooMany = await api('POST', '/v2/room_compositions', {
      session_id: sessionId,
      video_layout: { a: {}, b: {}, c: {} },
    });
    const unknownSource = await api('POST', '/v2/room_compositions', {
      session_id: sessionId,
      video_layout: { a: { video_sources: ['00000000-0000-4000-8000-000000000000'] } },
    });
    const tooLarge = await api('POST', '/v2/room_compositions', {
      session_id: sessionId,
      resolution: '1920x1080',
    });
    for (const response of [tooMany, unknownSource, tooLarge]) {
      expect(response.status).toBe(422);
      expect(response.body.errors[0]).toMatchObject({ code: expect.any(String) });
    }
  });

  it('deletes the session’s recordings in bulk, files and all', async () => {
    const before = await recordings();
    const folder = join(palaver.server.recordings.root, roomId, sessionId);
    expect(trackFiles(folder)).toHaveLength(5);
    const deleted = await api('DELETE', `/v2/room_recordings?filter[session_id]=${sessionId}`);
    expect(deleted.status).toBe(201);
    expect(deleted.body.data.room_recordings).toBe(5);
    expect(await recordings()).toEqual([]);
    expect(trackFiles(folder)).toEqual([]);
    for (const recording of before) {
      const gone = await fetch(recording.download_url);
      await gone.arrayBuffer();
      expect(gone.status).toBe(404);
    }
    // The compositions made from them stay.
    expect(readdirSync(join(folder, 'compositions'))).toHaveLength(2);
  });
});
