import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ParticipantAction } from '../../rooms/SessionActions.js';
import { Data, IdParams } from '../schemas.js';
import type { RouteOptions } from './routeSupport.js';
import { responses } from './routeSupport.js';

const tags = ['Room sessions'];

const ParticipantIds = Type.Array(Type.String({ format: 'uuid' }), {
  description: 'Participant ids of this session.',
});

/** Telnyx's `ActionsParticipantsRequest`. */
const ParticipantsBody = Type.Object(
  {
    participants: Type.Optional(
      Type.Union([Type.Literal('all'), ParticipantIds], {
        description: '"all" (the default) or the ids of the participants to act on.',
      }),
    ),
    exclude: Type.Optional(ParticipantIds),
  },
  { additionalProperties: false },
);

const ActionResult = Data(Type.Object({ result: Type.Literal('ok') }));

const ACTIONS: Record<ParticipantAction, string> = {
  kick: 'Kick participants from a room session',
  mute: 'Mute participants of a room session (moderator mute of their audio)',
  unmute: 'Lift the moderator mute of participants of a room session',
};

/**
 * `POST /room_sessions/{id}/actions/end|kick|mute|unmute`. Bodies are checked by the domain
 * (SessionActions), whose messages name the exact bad value; the schema documents them.
 */
export const sessionActionRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (
  app,
  { deps },
  done,
) => {
  const { sessionActions } = deps;

  app.post(
    '/room_sessions/:id/actions/end',
    {
      attachValidation: true,
      schema: {
        tags,
        summary: 'End a room session (its participants are disconnected)',
        params: IdParams,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: responses({ 200: ActionResult }, [400, 401, 404, 413, 422]),
      },
    },
    async (request) => {
      await sessionActions.end(request.params.id, request.body ?? {});
      return { data: { result: 'ok' as const } };
    },
  );

  for (const [action, summary] of Object.entries(ACTIONS) as [ParticipantAction, string][]) {
    app.post(
      `/room_sessions/:id/actions/${action}`,
      {
        attachValidation: true,
        schema: {
          tags,
          summary,
          params: IdParams,
          body: ParticipantsBody,
          response: responses({ 200: ActionResult }, [400, 401, 404, 413, 422]),
        },
      },
      async (request) => {
        await sessionActions.apply(action, request.params.id, request.body);
        return { data: { result: 'ok' as const } };
      },
    );
  }
  done();
};
