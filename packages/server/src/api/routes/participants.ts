import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { presentPage, presentParticipant } from '../presenters.js';
import {
  Data,
  DataPage,
  IdParams,
  ListParticipantsQuery,
  RoomParticipantSchema,
} from '../schemas.js';
import type { RouteOptions } from './routeSupport.js';
import { pageOf, responses } from './routeSupport.js';

const tags = ['Room participants'];

export const participantRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (
  app,
  { deps },
  done,
) => {
  const { rooms } = deps;

  app.get(
    '/room_participants',
    {
      schema: {
        tags,
        summary: 'List room participants',
        querystring: ListParticipantsQuery,
        response: responses({ 200: DataPage(RoomParticipantSchema) }, [401, 422]),
      },
    },
    async (request) => {
      const { query } = request;
      const page = await rooms.listParticipants(
        {
          sessionId: query.filter?.session_id,
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

  app.get(
    '/room_participants/:id',
    {
      schema: {
        tags,
        summary: 'View a room participant',
        params: IdParams,
        response: responses({ 200: Data(RoomParticipantSchema) }),
      },
    },
    async (request) => ({
      data: presentParticipant(await rooms.getParticipant(request.params.id)),
    }),
  );
  done();
};
