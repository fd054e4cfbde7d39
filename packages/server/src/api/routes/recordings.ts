import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { basename } from 'node:path';
import { AuthenticationError, NotFoundError } from '../../errors.js';
import { MediaNotReadyError } from '../../recording/RecordingService.js';
import type { DownloadKind } from '../../recording/DownloadLinks.js';
import type { RecordingFilter, RoomComposition, RoomRecording } from '../../recording/types.js';
import { sizeMb } from '../../recording/RecordingService.js';
import { presentPage } from '../presenters.js';
import {
  BulkDeleteResult,
  CreateCompositionBody,
  DownloadParams,
  DownloadQuery,
  ListCompositionsQuery,
  ListRecordingsQuery,
  RoomCompositionSchema,
  RoomRecordingSchema,
} from '../recordingSchemas.js';
import type { ListRecordingsQuery as RecordingsQuery } from '../recordingSchemas.js';
import { Data, DataPage, IdParams } from '../schemas.js';
import type { RouteOptions } from './routeSupport.js';
import { NoContent, pageOf, responses } from './routeSupport.js';

/**
 * Room recordings and compositions (Telnyx's shapes), and the signed download links their
 * `download_url` points at.
 */
export const recordingRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deps }) => {
  const { recordings, compositions, downloadLinks } = deps.media;
  // Files are served by @fastify/static for its Range, ETag and conditional-request handling.
  await app.register(fastifyStatic, { root: recordings.root, serve: false });

  const baseUrl = (request: FastifyRequest) =>
    deps.publicUrl ?? `${request.protocol}://${request.host}`;
  const presentRecording = (request: FastifyRequest) => (recording: RoomRecording) => ({
    record_type: 'room_recording' as const,
    id: recording.id,
    room_id: recording.roomId,
    session_id: recording.sessionId,
    participant_id: recording.participantId,
    type: recording.type,
    status: recording.status,
    codec: recording.codec,
    duration_secs: recording.durationMs === null ? null : Math.round(recording.durationMs / 1000),
    size_mb: recording.sizeBytes === null ? null : sizeMb(recording.sizeBytes),
    download_url:
      recording.status === 'completed'
        ? baseUrl(request) + downloadLinks.pathFor('room_recordings', recording.id)
        : null,
    started_at: recording.startedAt,
    ended_at: recording.endedAt,
    completed_at: recording.completedAt,
    created_at: recording.createdAt,
    updated_at: recording.updatedAt,
    stream_key: recording.streamKey,
    error: recording.error,
  });
  const presentComposition = (request: FastifyRequest) => (composition: RoomComposition) => ({
    record_type: 'room_composition' as const,
    id: composition.id,
    room_id: composition.roomId,
    session_id: composition.sessionId,
    user_id: null,
    status: composition.status,
    progress: composition.progress,
    format: composition.format,
    resolution: composition.resolution,
    duration_secs:
      composition.durationMs === null ? null : Math.round(composition.durationMs / 1000),
    size_mb: composition.sizeBytes === null ? null : sizeMb(composition.sizeBytes),
    download_url:
      composition.status === 'completed'
        ? baseUrl(request) + downloadLinks.pathFor('room_compositions', composition.id)
        : null,
    started_at: composition.startedAt,
    ended_at: composition.endedAt,
    completed_at: composition.completedAt,
    created_at: composition.createdAt,
    updated_at: composition.updatedAt,
    video_layout: composition.videoLayout,
    webhook_event_url: composition.webhookEventUrl,
    webhook_event_failover_url: composition.webhookEventFailoverUrl,
    webhook_timeout_secs: composition.webhookTimeoutSecs,
    error: composition.error,
  });

  const recordingTags = ['Room Recordings'];
  const compositionTags = ['Room Compositions'];

  app.get(
    '/room_recordings',
    {
      schema: {
        tags: recordingTags,
        summary: 'List room recordings',
        querystring: ListRecordingsQuery,
        response: responses({ 200: DataPage(RoomRecordingSchema) }, [401, 422]),
      },
    },
    async (request) => {
      const page = await recordings.list(recordingFilter(request.query), pageOf(request.query));
      return presentPage(page, presentRecording(request));
    },
  );

  app.delete(
    '/room_recordings',
    {
      schema: {
        tags: recordingTags,
        summary: 'Delete room recordings',
        description:
          'Deletes every recording that matches the filters, with its file. Recordings being converted right now are kept.',
        querystring: ListRecordingsQuery,
        response: responses({ 201: BulkDeleteResult }, [401, 422]),
      },
    },
    async (request, reply) => {
      const deleted = await recordings.deleteMany(recordingFilter(request.query));
      return reply.code(201).send({ data: { room_recordings: deleted } });
    },
  );

  app.get(
    '/room_recordings/:id',
    {
      schema: {
        tags: recordingTags,
        summary: 'View a room recording',
        params: IdParams,
        response: responses({ 200: Data(RoomRecordingSchema) }, [401, 404]),
      },
    },
    async (request) => {
      const recording = await recordings.find(request.params.id);
      if (recording === undefined) {
        throw new NotFoundError('room_recording', request.params.id);
      }
      return { data: presentRecording(request)(recording) };
    },
  );

  app.delete(
    '/room_recordings/:id',
    {
      schema: {
        tags: recordingTags,
        summary: 'Delete a room recording',
        params: IdParams,
        response: responses({ 204: NoContent }, [401, 404, 409]),
      },
    },
    async (request, reply) => {
      await recordings.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/room_compositions',
    {
      schema: {
        tags: compositionTags,
        summary: 'List room compositions',
        querystring: ListCompositionsQuery,
        response: responses({ 200: DataPage(RoomCompositionSchema) }, [401, 422]),
      },
    },
    async (request) => {
      const { filter } = request.query;
      const page = await compositions.list(
        {
          dateCreatedAt: filter?.date_created_at,
          sessionId: filter?.session_id,
          status: filter?.status,
        },
        pageOf(request.query),
      );
      return presentPage(page, presentComposition(request));
    },
  );

  app.post(
    '/room_compositions',
    {
      schema: {
        tags: compositionTags,
        summary: 'Create a room composition',
        description:
          "Lays the session's video recordings out (a grid by default) with all audio mixed, as H.264 + AAC MP4. Made asynchronously: `enqueued`, then `processing` with `progress`, then `completed` (or `failed`).",
        body: CreateCompositionBody,
        response: responses({ 202: Data(RoomCompositionSchema) }, [400, 401, 413, 422]),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const composition = await compositions.create({
        sessionId: body.session_id,
        format: body.format,
        resolution: body.resolution,
        videoLayout: body.video_layout,
        webhookEventUrl: body.webhook_event_url,
        webhookEventFailoverUrl: body.webhook_event_failover_url,
        webhookTimeoutSecs: body.webhook_timeout_secs,
      });
      return reply.code(202).send({ data: presentComposition(request)(composition) });
    },
  );

  app.get(
    '/room_compositions/:id',
    {
      schema: {
        tags: compositionTags,
        summary: 'View a room composition',
        params: IdParams,
        response: responses({ 200: Data(RoomCompositionSchema) }, [401, 404]),
      },
    },
    async (request) => {
      const composition = await compositions.find(request.params.id);
      if (composition === undefined) {
        throw new NotFoundError('room_composition', request.params.id);
      }
      return { data: presentComposition(request)(composition) };
    },
  );

  app.delete(
    '/room_compositions/:id',
    {
      schema: {
        tags: compositionTags,
        summary: 'Delete a room composition',
        params: IdParams,
        response: responses({ 204: NoContent }, [401, 404]),
      },
    },
    async (request, reply) => {
      await compositions.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  const download = (kind: DownloadKind) => ({
    config: { public: true },
    schema: {
      tags: kind === 'room_recordings' ? recordingTags : compositionTags,
      summary: kind === 'room_recordings' ? 'Download a recording' : 'Download a composition',
      description:
        'The target of `download_url`: a signed, expiring link that needs no API key. Supports `Range` requests.',
      params: DownloadParams,
      querystring: DownloadQuery,
    },
  });
  const serve = async (
    kind: DownloadKind,
    request: FastifyRequest,
    id: string,
    query: { expires: number; signature: string },
  ) => {
    if (!downloadLinks.verify(kind, id, query)) {
      request.log.warn({ kind, id }, 'download link refused');
      throw new AuthenticationError('the download link is invalid or has expired');
    }
    const item =
      kind === 'room_recordings' ? await recordings.find(id) : await compositions.find(id);
    if (item === undefined) {
      throw new NotFoundError(
        kind === 'room_recordings' ? 'room_recording' : 'room_composition',
        id,
      );
    }
    if (item.filePath === null || item.status !== 'completed') {
      throw new MediaNotReadyError(`${kind} ${item.id} is not ready`);
    }
    return item.filePath;
  };
  app.get('/downloads/room_recordings/:id', download('room_recordings'), async (request, reply) => {
    const file = await serve('room_recordings', request, request.params.id, request.query);
    return reply
      .header('content-disposition', `attachment; filename="${basename(file)}"`)
      .sendFile(file);
  });
  app.get(
    '/downloads/room_compositions/:id',
    download('room_compositions'),
    async (request, reply) => {
      const file = await serve('room_compositions', request, request.params.id, request.query);
      return reply
        .header('content-disposition', `attachment; filename="${basename(file)}"`)
        .sendFile(file);
    },
  );
};

function recordingFilter(query: RecordingsQuery): RecordingFilter {
  const filter = query.filter;
  return {
    dateStartedAt: filter?.date_started_at,
    dateEndedAt: filter?.date_ended_at,
    roomId: filter?.room_id,
    participantId: filter?.participant_id,
    sessionId: filter?.session_id,
    status: filter?.status,
    type: filter?.type,
    minDurationSecs: filter?.duration_secs,
  };
}
