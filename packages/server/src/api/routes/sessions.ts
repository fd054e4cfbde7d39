import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { presentPage, presentParticipant, presentSession } from '../presenters.js';
import {
  Data,
  DataPage,
  IdParams,
  IncludeParticipantsQuery,
  ListSessionParticipantsQuery,
  ListSessionsQuery,
  RoomParticipantSchema,
  RoomSessionSchema,
} from '../schemas.js';
import type { RouteOptions } from './routeSupport.js';
import { pageOf, responses } from './routeSupport.js';
import { sessionActionRoutes } from './sessionActions.js';

const tags = ['Room sessions'];

export const sessionRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (app, { deps }, done) => {
  const { rooms } = deps;

  app.get(
    '/room_sessions',
    {
      schema: {
        tags,
        summary: 'List room sessions',
        querystring: ListSessionsQuery,
        response: responses({ 200: DataPage(RoomSessionSchema) }, [401, 422]),
      },
    },
    async (request) => {
      const { query } = request;
      const page = await rooms.listSessions(
        {
          roomId: query.filter?.room_id,
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

  app.get(
    '/room_sessions/:id',
    {
      schema: {
        tags,
        summary: 'View a room session',
        params: IdParams,
        querystring: IncludeParticipantsQuery,
        response: responses({ 200: Data(RoomSessionSchema) }),
      },
    },
    async (request) => {
      const view = await rooms.getSession(
        request.params.id,
        request.query.include_participants === true,
      );
      return { data: presentSession(view) };
    },
  );

  app.get(
    '/room_sessions/:id/participants',
    {
      schema: {
        tags,
        summary: "List a room session's participants",
        params: IdParams,
        querystring: ListSessionParticipantsQuery,
        response: responses({ 200: DataPage(RoomParticipantSchema) }),
      },
    },
    async (request) => {
      const { query } = request;
      const page = await rooms.listSessionParticipants(
        request.params.id,
        {
          context: query.filter?.context,
          dateJoinedAt: query.filter?.date_joined_at,
          dateUpdatedAt: query.filter?.date_updated_at,
          dateLeftAt: query.filter?.date_left_at,
        },
        pageOf(query),
      );
      return presentPage(page, presentParticipant);
    },
  );
  void app.register(sessionActionRoutes, { deps });
  done();
};
