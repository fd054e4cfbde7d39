import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Telnyx, { UnprocessableEntityError } from 'telnyx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { DIALECTS, startTestServer } from '../support/testServer.js';

// The official `telnyx` SDK on room recordings and compositions: list with filters, retrieve,
// download, bulk delete, and a composition request refused with Telnyx's error shape. The
// recordings are stored rows with files, as the recording pipeline leaves them.

describe.each(DIALECTS)(
  'the official telnyx SDK on recordings against Palaver on %s',
  (dialect) => {
    let t: TestServer;
    let client: Telnyx;
    let roomId: string;
    let sessionId: string;

    beforeAll(async () => {
      t = await startTestServer(dialect);
      client = new Telnyx({ apiKey: t.apiKey, baseURL: `${t.url}/v2`, maxRetries: 0 });
      roomId = (await client.rooms.create({ enable_recording: true })).data!.id!;
      sessionId = '7b61621f-62e0-4aad-ab11-9fd19e272e74';
      const now = Date.now();
      await t.server.store.sessions.insert({
        id: sessionId,
        room_id: roomId,
        active: 0,
        created_at: new Date(now - 60_000).toISOString(),
        updated_at: new Date(now).toISOString(),
        ended_at: new Date(now).toISOString(),
      });
      const folder = join(t.server.recordings.root, roomId, sessionId);
      mkdirSync(folder, { recursive: true });
      for (const [i, type] of (['audio', 'video', 'audio'] as const).entries()) {
        const file = `${roomId}/${sessionId}/track${i}.${type === 'audio' ? 'opus' : 'webm'}`;
        writeFileSync(join(t.server.recordings.root, file), Buffer.alloc(1000 * (i + 1), i));
        const startedAt = new Date(now - 50_000 + i * 1000).toISOString();
        await t.server.store.db
          .insertInto('room_recordings')
          .values({
            id: `7b61621f-62e0-4aad-ab11-9fd19e272e8${i}`,
            room_id: roomId,
            session_id: sessionId,
            participant_id: `7b61621f-62e0-4aad-ab11-9fd19e272e9${i}`,
            stream_key: type === 'video' ? 'self' : 'audiobridge',
            type,
            codec: type === 'audio' ? 'opus' : 'vp8',
            status: 'completed',
            source_path: `raw${i}.mjr`,
            file_path: file,
            duration_ms: 10_000 * (i + 1),
            size_bytes: 1000 * (i + 1),
            attempts: 1,
            error: null,
            started_at: startedAt,
            ended_at: new Date(now - 20_000).toISOString(),
            completed_at: new Date(now - 10_000).toISOString(),
            created_at: startedAt,
            updated_at: startedAt,
          })
          .execute();
      }
    });
    afterAll(async () => t?.close());

    it('lists, filters, retrieves and downloads recordings', async () => {
      const all = [];
      for await (const recording of client.roomRecordings.list({ filter: { room_id: roomId } })) {
        all.push(recording);
      }
      expect(all.map((r) => r.type).sort()).toEqual(['audio', 'audio', 'video']);
      const long = await client.roomRecordings.list({
        filter: { session_id: sessionId, type: 'audio', duration_secs: 25 },
      });
      expect(long.data.map((r) => r.duration_secs)).toEqual([30]);
      const one = await client.roomRecordings.retrieve(all[0]!.id!);
      expect(one.data).toMatchObject({
        record_type: 'room_recording',
        room_id: roomId,
        session_id: sessionId,
        status: 'completed',
      });
      const download = await fetch(one.data!.download_url!, { headers: { range: 'bytes=10-19' } });
      expect(download.status).toBe(206);
      expect((await download.arrayBuffer()).byteLength).toBe(10);
    });

    it('refuses a composition it cannot make with a 422 the SDK raises', async () => {
      const refused = await client.roomCompositions
        .create({ session_id: sessionId, resolution: '4000x3000' })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(UnprocessableEntityError);
      expect((refused as UnprocessableEntityError).status).toBe(422);
      const accepted = await client.roomCompositions.create({
        session_id: sessionId,
        resolution: '640x360',
        video_layout: { main: { max_columns: 2, video_sources: ['*'] } },
      });
      expect(accepted.data).toMatchObject({ status: 'enqueued', session_id: sessionId });
      const listed = await client.roomCompositions.list({ filter: { session_id: sessionId } });
      expect(listed.data.map((c) => c.id)).toEqual([accepted.data!.id]);
      await client.roomCompositions.delete(accepted.data!.id!);
      const after = await client.roomCompositions.list({ filter: { session_id: sessionId } });
      expect(after.data).toEqual([]);
    });

    it('deletes recordings in bulk by filter, with their files', async () => {
      const result = await client.roomRecordings.deleteBulk({
        filter: { session_id: sessionId, type: 'audio' },
      });
      expect(result.data?.room_recordings).toBe(2);
      const left = await client.roomRecordings.list({ filter: { session_id: sessionId } });
      expect(left.data.map((r) => r.type)).toEqual(['video']);
      const root = join(t.server.recordings.root, roomId, sessionId);
      expect(
        [0, 1, 2].map((i) => existsSync(join(root, `track${i}.${i === 1 ? 'webm' : 'opus'}`))),
      ).toEqual([false, true, false]);
    });
  },
);
