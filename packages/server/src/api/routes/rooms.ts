import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../errors.js';
import type { RoomSettings } from '../../rooms/types.js';
import { presentPage, presentRoom, presentSession } from '../presenters.js';
import {
  CreateRoomBody,
  Data,
  DataPage,
  GenerateTokenBody,
  IncludeSessionsQuery,
  JoinTokensSchema,
  ListRoomSessionsQuery,
  ListRoomsQuery,
  PatchRoomBody,
  RefreshedTokenSchema,
  RefreshTokenBody,
  RoomIdParams,
  RoomSchema,
  RoomSessionSchema,
} from '../schemas.js';
import type { RouteOptions } from './routeSupport.js';
import { NoContent, pageOf, principalId, responses } from './routeSupport.js';

const tags = ['Rooms'];

export const roomRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (app, { deps }, done) => {
  const { rooms } = deps;

  app.get(
    '/rooms',
    {
      schema: {
        tags,
        summary: 'List rooms',
        querystring: ListRoomsQuery,
        response: responses({ 200: DataPage(RoomSchema) }, [401, 422]),
      },
    },
    async (request) => {
      const { query } = request;
      const page = await rooms.listRooms(
        {
          dateCreatedAt: query.filter?.date_created_at,
          dateUpdatedAt: query.filter?.date_updated_at,
          uniqueName: query.filter?.unique_name,
        },
        pageOf(query),
        query.include_sessions === true,
      );
      return presentPage(page, presentRoom);
    },
  );

  app.post(
    '/rooms',
    {
      schema: {
        tags,
        summary: 'Create a room',
        body: CreateRoomBody,
        response: responses({ 201: Data(RoomSchema) }, [400, 401, 413, 422]),
      },
    },
    async (request, reply) => {
      const view = await rooms.createRoom(settingsOf(request.body));
      return reply.code(201).send({ data: presentRoom(view) });
    },
  );

  app.get(
    '/rooms/:room_id',
    {
      schema: {
        tags,
        summary: 'View a room',
        params: RoomIdParams,
        querystring: IncludeSessionsQuery,
        response: responses({ 200: Data(RoomSchema) }),
      },
    },
    async (request) => {
      const view = await rooms.getRoom(
        request.params.room_id,
        request.query.include_sessions === true,
      );
      return { data: presentRoom(view) };
    },
  );

  app.patch(
    '/rooms/:room_id',
    {
      schema: {
        tags,
        summary: 'Update a room',
        params: RoomIdParams,
        body: PatchRoomBody,
        response: responses({ 200: Data(RoomSchema) }, [400, 401, 404, 413, 422]),
      },
    },
    async (request) => {
      const view = await rooms.updateRoom(request.params.room_id, settingsOf(request.body));
      return { data: presentRoom(view) };
    },
  );

  app.delete(
    '/rooms/:room_id',
    {
      schema: {
        tags,
        summary: 'Delete a room',
        description:
          'Participants in the room are removed and can no longer join; its tokens stop working.',
        params: RoomIdParams,
        response: responses({ 204: NoContent }, [401, 404]),
      },
    },
    async (request, reply) => {
      await rooms.deleteRoom(request.params.room_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/rooms/:room_id/sessions',
    {
      schema: {
        tags,
        summary: "List a room's sessions",
        params: RoomIdParams,
        querystring: ListRoomSessionsQuery,
        response: responses({ 200: DataPage(RoomSessionSchema) }),
      },
    },
    async (request) => {
      const { query } = request;
      const page = await rooms.listRoomSessions(
        request.params.room_id,
        {
          dateCreatedAt: query.filter?.date_created_at,
          dateUpdatedAt: query.filter?.date_updated_at,
          dateEndedAt: query.filter?.date_ended_at,
          active: query.filter?.active,
        },
        pageOf(query),
        query.include_participants === true,
      );
      return presentPage(page, presentSession);
    },
  );

  app.post(
    '/rooms/:room_id/actions/generate_join_client_token',
    {
      schema: {
        tags: ['Room client tokens'],
        summary: 'Create a client join token and its refresh token',
        params: RoomIdParams,
        body: GenerateTokenBody,
        response: responses({ 201: Data(JoinTokensSchema) }, [400, 401, 404, 422]),
      },
    },
    async (request, reply) => {
      const tokens = await rooms.generateJoinTokens(request.params.room_id, principalId(request), {
        tokenTtlSecs: request.body.token_ttl_secs,
        refreshTokenTtlSecs: request.body.refresh_token_ttl_secs,
      });
      return reply.code(201).send({
        data: {
          token: tokens.token,
          token_expires_at: tokens.tokenExpiresAt,
          refresh_token: tokens.refreshToken,
          refresh_token_expires_at: tokens.refreshTokenExpiresAt,
        },
      });
    },
  );

  app.post(
    '/rooms/:room_id/actions/refresh_client_token',
    {
      config: { public: true },
      schema: {
        tags: ['Room client tokens'],
        summary: 'Exchange a refresh token for a new client join token',
        description: 'Authenticated by the refresh token alone; no API key is needed.',
        security: [],
        params: RoomIdParams,
        body: RefreshTokenBody,
        response: responses({ 201: Data(RefreshedTokenSchema) }, [400, 401, 403, 404, 422]),
      },
    },
    async (request, reply) => {
      const refreshed = await rooms.refreshJoinToken(
        request.params.room_id,
        request.body.refresh_token,
        request.body.token_ttl_secs,
      );
      return reply.code(201).send({
        data: { token: refreshed.token, token_expires_at: refreshed.tokenExpiresAt },
      });
    },
  );
  done();
};

function settingsOf(body: CreateRoomBody | PatchRoomBody): RoomSettings {
  if (body.unique_name !== undefined && body.unique_name.trim() === '') {
    throw new ValidationError('unique_name must not be blank', {
      source: { pointer: '/unique_name' },
    });
  }
  return {
    uniqueName: body.unique_name,
    maxParticipants: body.max_participants,
    enableRecording: body.enable_recording,
    webhookEventUrl: body.webhook_event_url,
    webhookEventFailoverUrl: body.webhook_event_failover_url,
    webhookTimeoutSecs: body.webhook_timeout_secs,
  };
}
