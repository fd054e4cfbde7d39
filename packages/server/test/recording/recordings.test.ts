import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallerAudio, SimulatedCall, detectTone, int16ToFloat, tone } from '@palaver/phone-sim';
import { CallWebhookReceiver, connectorInto } from '../telephony/support.js';
import type { MediaTestServer } from './support.js';
import { decodePcm, ffprobe, slowTool, startMediaServer, testApiKey } from './support.js';

// Recordings of phone callers with a real Janus and janus-pp-rec: a caller in a room with
// `enable_recording` becomes an Opus recording that is converted, announced, downloadable with
// ranges and deletable; conversions and compositions interrupted by a restart finish afterwards.

async function placeCall(
  t: MediaTestServer,
  roomId: string,
  from: string,
  frequency: number,
  durationMs: number,
): Promise<void> {
  const webhookUrl = await connectorInto(t.api, t.url, roomId);
  const call = new SimulatedCall({
    webhookUrl,
    from,
    audio: new CallerAudio(tone({ frequency, durationMs, levelDbfs: -12 })),
    durationMs,
  });
  const summary = await call.run();
  expect(summary.status).toBe('completed');
}

const recordingsOf = async (t: MediaTestServer, roomId: string) =>
  (await t.api('GET', `/v2/room_recordings?filter[room_id]=${roomId}`)).body.data as any[];

describe('recordings of phone callers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'palaver-rec-'));
  const apiKey = testApiKey();
  let t: MediaTestServer;
  let hooks: CallWebhookReceiver;

  beforeAll(async () => {
    hooks = await CallWebhookReceiver.start();
    t = await startMediaServer(dataDir, apiKey);
  });
  afterAll(async () => {
    await t?.close();
    await hooks?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records a caller, converts the leg to Ogg/Opus, announces it and serves it with ranges', async () => {
    const room = await t.api('POST', '/v2/rooms', {
      enable_recording: true,
      webhook_event_url: hooks.url('/room'),
    });
    const roomId = room.body.data.id as string;
    const calledAt = Date.now();
    await placeCall(t, roomId, '+13125550142', 1000, 6000);

    await expect
      .poll(async () => (await recordingsOf(t, roomId)).map((r) => r.status), { timeout: 20_000 })
      .toEqual(['completed']);
    const [recording] = await recordingsOf(t, roomId);
    expect(recording).toMatchObject({
      record_type: 'room_recording',
      room_id: roomId,
      type: 'audio',
      codec: 'opus',
      stream_key: 'audiobridge',
      status: 'completed',
    });
    expect(Date.parse(recording.started_at)).toBeGreaterThanOrEqual(calledAt - 1000);
    expect(recording.size_mb).toBeGreaterThan(0);
    // The caller was in the room for about 6 s.
    expect(recording.duration_secs).toBeGreaterThanOrEqual(5);
    expect(recording.duration_secs).toBeLessThanOrEqual(7);
    const participants = (
      await t.api('GET', `/v2/room_sessions/${recording.session_id}/participants`)
    ).body.data as any[];
    expect(participants.map((p) => p.id)).toContain(recording.participant_id);

    // It lies in the room's session folder; the raw Janus file is gone.
    const sessionDir = join(dataDir, 'recordings', roomId, recording.session_id);
    const files = readdirSync(sessionDir);
    const oggName = files.find((f) => f.endsWith('.opus'));
    expect(oggName).toBeDefined();
    await expect.poll(() => existsSync(join(sessionDir, 'raw')), { timeout: 5000 }).toBe(false);

    // Downloads: the signed link works without an API key, whole and by range.
    const whole = await fetch(recording.download_url);
    expect(whole.status).toBe(200);
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
    const ranged = await fetch(recording.download_url, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(bytes.subarray(0, 100));
    const tampered = recording.download_url.replace(/signature=[^&]+/, 'signature=AAAA');
    const refused = await fetch(tampered);
    await refused.arrayBuffer();
    expect(refused.status).toBe(401);

    // What was recorded is the caller's tone, at about the level sent.
    const pcm = await decodePcm(join(sessionDir, oggName!), 8000);
    const detected = detectTone(int16ToFloat(pcm.subarray(8000, 8000 * 5)), 8000, 1000);
    expect(detected.present).toBe(true);
    expect(detected.levelDbfs).toBeGreaterThan(-16);
    expect(detected.levelDbfs).toBeLessThan(-8);

    // The room's webhook says so.
    await expect
      .poll(() =>
        hooks.received
          .map((r) => JSON.parse(r.body).data)
          .filter((d) => d.event_type === 'video.room.recording.saved')
          .map((d) => d.payload.recording_id),
      )
      .toEqual([recording.id]);

    // Deleting it removes the row and the file.
    expect((await t.api('DELETE', `/v2/room_recordings/${recording.id}`)).status).toBe(204);
    expect((await t.api('GET', `/v2/room_recordings/${recording.id}`)).status).toBe(404);
    expect(existsSync(join(sessionDir, oggName!))).toBe(false);
    const gone = await fetch(recording.download_url);
    await gone.arrayBuffer();
    expect(gone.status).toBe(404);
  });

  it('records nothing in a room without enable_recording, and refuses to compose it', async () => {
    const room = await t.api('POST', '/v2/rooms', {});
    const roomId = room.body.data.id as string;
    await placeCall(t, roomId, '+13125550143', 700, 2000);
    const sessions = (await t.api('GET', `/v2/rooms/${roomId}/sessions`)).body.data as any[];
    expect(sessions).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await recordingsOf(t, roomId)).toEqual([]);
    const composition = await t.api('POST', '/v2/room_compositions', {
      session_id: sessions[0].id,
    });
    expect(composition.status).toBe(422);
    expect(composition.body.errors[0].detail).toMatch(/no recordings/);
  });

  it('deletes recordings in bulk by filter, with their files', async () => {
    const room = await t.api('POST', '/v2/rooms', { enable_recording: true });
    const roomId = room.body.data.id as string;
    await Promise.all([
      placeCall(t, roomId, '+13125550144', 500, 3000),
      placeCall(t, roomId, '+13125550145', 900, 3000),
    ]);
    await expect
      .poll(async () => (await recordingsOf(t, roomId)).map((r) => r.status), { timeout: 20_000 })
      .toEqual(['completed', 'completed']);
    const sessionId = (await recordingsOf(t, roomId))[0].session_id as string;
    const sessionDir = join(dataDir, 'recordings', roomId, sessionId);
    expect(readdirSync(sessionDir).filter((f) => f.endsWith('.opus'))).toHaveLength(2);

    const deleted = await t.api('DELETE', `/v2/room_recordings?filter[room_id]=${roomId}`);
    expect(deleted.status).toBe(201);
    expect(deleted.body).toEqual({ data: { room_recordings: 2 } });
    expect(await recordingsOf(t, roomId)).toEqual([]);
    expect(readdirSync(sessionDir).filter((f) => f.endsWith('.opus'))).toEqual([]);
  });
});

describe('recording and composition jobs across restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'palaver-rec-restart-'));
  const toolsDir = mkdtempSync(join(tmpdir(), 'palaver-tools-'));
  const apiKey = testApiKey();
  let current: MediaTestServer | undefined;

  afterAll(async () => {
    await current?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(toolsDir, { recursive: true, force: true });
  });

  it('finishes a conversion and a composition that a restart interrupted', async () => {
    // First run: janus-pp-rec takes long to convert (reading headers stays quick), so the server
    // stops while the recording is `processing`.
    current = await startMediaServer(dataDir, apiKey, {
      PALAVER_JANUS_PP_REC: slowTool(toolsDir, 'janus-pp-rec', 60, '-j'),
    });
    const room = await current.api('POST', '/v2/rooms', { enable_recording: true });
    const roomId = room.body.data.id as string;
    await placeCall(current, roomId, '+13125550146', 1000, 4000);
    const first = current;
    await expect
      .poll(async () => (await recordingsOf(first, roomId)).map((r) => r.status), {
        timeout: 15_000,
      })
      .toEqual(['processing']);
    await first.close();
    current = undefined;
    const rawDir = (sessionId: string) => join(dataDir, 'recordings', roomId, sessionId, 'raw');

    // Second run, with ffmpeg slow this time: the conversion completes from the kept raw file,
    // and a composition of the session is stopped while `processing`.
    current = await startMediaServer(dataDir, apiKey, {
      PALAVER_FFMPEG: slowTool(toolsDir, 'ffmpeg', 60, '-nothing-skips-this'),
    });
    const second = current;
    await expect
      .poll(async () => (await recordingsOf(second, roomId)).map((r) => r.status), {
        timeout: 15_000,
      })
      .toEqual(['completed']);
    const [recording] = await recordingsOf(second, roomId);
    expect(recording.duration_secs).toBeGreaterThanOrEqual(3);
    await expect
      .poll(() => existsSync(rawDir(recording.session_id)), { timeout: 5000 })
      .toBe(false);
    const created = await second.api('POST', '/v2/room_compositions', {
      session_id: recording.session_id,
      resolution: '640x360',
    });
    expect(created.status).toBe(202);
    expect(created.body.data).toMatchObject({ status: 'enqueued', progress: 0 });
    const compositionId = created.body.data.id as string;
    await expect
      .poll(
        async () =>
          (await second.api('GET', `/v2/room_compositions/${compositionId}`)).body.data.status,
        { timeout: 10_000 },
      )
      .toBe('processing');
    await second.close();
    current = undefined;

    // Third run, real tools: the composition is made from scratch and completes.
    current = await startMediaServer(dataDir, apiKey);
    const third = current;
    await expect
      .poll(
        async () =>
          (await third.api('GET', `/v2/room_compositions/${compositionId}`)).body.data.status,
        { timeout: 30_000 },
      )
      .toBe('completed');
    const composition = (await third.api('GET', `/v2/room_compositions/${compositionId}`)).body
      .data;
    expect(composition).toMatchObject({ progress: 100, resolution: '640x360', format: 'mp4' });
    const file = join(dataDir, 'recordings', roomId, recording.session_id, 'compositions');
    const probe = await ffprobe(join(file, `${compositionId}.mp4`));
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(probe.durationSecs).toBeGreaterThan(3);
    const download = await fetch(composition.download_url, { headers: { range: 'bytes=4-11' } });
    expect(download.status).toBe(206);
    expect(Buffer.from(await download.arrayBuffer()).toString('latin1')).toBe('ftypisom');
  }, 120_000);
});
