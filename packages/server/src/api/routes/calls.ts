import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TSchema } from 'typebox';
import { ValidationError } from '../../errors.js';
import { callPayload } from '../../telephony/CallWebhookNotifier.js';
import type { CallStatus } from '../../telephony/types.js';
import { CALL_STATUSES, HANGUP_REASONS } from '../../telephony/types.js';
import type { RouteOptions } from './routeSupport.js';
import {
  MessageData,
  PageInfoSchema,
  PageQuery,
  listParameter,
  pageBody,
  pageRequest,
  useVideoSdkErrors,
  videoSdkResponses,
} from './videoSdk.js';

const tags = ['Calls'];
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const CallSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ description: '`inbound`' }),
    provider: Type.String(),
    connectorId: Type.String(),
    ruleId: Nullable(Type.String()),
    roomId: Nullable(Type.String()),
    sessionId: Nullable(Type.String()),
    participantId: Nullable(Type.String()),
    from: Type.String(),
    to: Type.String(),
    callerName: Nullable(Type.String()),
    status: Type.String({ description: CALL_STATUSES.join(', ') }),
    hangupReason: Nullable(
      Type.String({
        description: `Why the call ended: ${HANGUP_REASONS.join(', ')}; or Telnyx's HangupCause from a status callback`,
      }),
    ),
    start: Type.String({ description: 'When the voice webhook arrived' }),
    answeredAt: Nullable(Type.String()),
    end: Nullable(Type.String()),
    duration: Nullable(Type.Number({ description: 'Seconds from answer to end' })),
    region: Nullable(Type.String()),
    hidePhoneNumber: Type.Boolean(),
    agentId: Nullable(Type.String()),
    agentMetadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    telnyx: Type.Object({
      callSid: Nullable(Type.String()),
      accountSid: Nullable(Type.String()),
      connectionId: Nullable(Type.String()),
    }),
    updatedAt: Type.String(),
  },
  { description: 'An inbound phone call through a connector.' },
);

const ListCallsQuery = Type.Object({
  ...PageQuery,
  roomId: Type.Optional(Type.String()),
  sessionId: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  connectorId: Type.Optional(Type.String()),
  gatewayId: Type.Optional(Type.String({ description: 'The same as connectorId' })),
  ruleId: Type.Optional(Type.String()),
  type: Type.Optional(Type.String({ description: 'Only `inbound` calls exist' })),
  status: Type.Optional(Type.String({ description: 'Comma-separated statuses' })),
  search: Type.Optional(Type.String({ maxLength: 64, description: 'Part of from, to or roomId' })),
  startDate: Type.Optional(Type.String({ description: 'Epoch milliseconds or ISO-8601' })),
  endDate: Type.Optional(Type.String({ description: 'Epoch milliseconds or ISO-8601' })),
});

const CallIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const EndCallBody = Type.Object(
  { callId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** `/v2/sip/call`: call records in VideoSDK's shape. */
export const callRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (app, { deps }, done) => {
  useVideoSdkErrors(app);
  const { calls } = deps.telephony;

  app.get(
    '/sip/call',
    {
      schema: {
        tags,
        summary: 'List calls',
        description: 'Newest first.',
        querystring: ListCallsQuery,
        response: videoSdkResponses(
          { 200: Type.Object({ data: Type.Array(CallSchema), pageInfo: PageInfoSchema }) },
          [400, 401],
        ),
      },
    },
    async (request) => {
      const { query } = request;
      if (query.type !== undefined && query.type !== 'inbound') {
        return pageBody({ items: [], total: 0, ...pageOf(request.query) }, callPayload);
      }
      const page = await calls.listCalls(
        {
          roomId: query.roomId,
          sessionId: query.sessionId,
          id: query.id,
          connectorId: query.connectorId ?? query.gatewayId,
          ruleId: query.ruleId,
          statuses: listParameter(query.status)?.map(checkStatus),
          search: query.search,
          startedFrom: instant(query.startDate, 'startDate'),
          startedTo: instant(query.endDate, 'endDate'),
        },
        pageRequest(query),
      );
      return pageBody(page, callPayload);
    },
  );

  app.get(
    '/sip/call/:id',
    {
      schema: {
        tags,
        summary: 'Get a call',
        params: CallIdParams,
        response: videoSdkResponses({ 200: MessageData(CallSchema) }, [401, 404]),
      },
    },
    async (request) => ({
      message: 'Call fetched successfully',
      data: callPayload(await calls.getCall(request.params.id)),
    }),
  );

  app.post(
    '/sip/call/end',
    {
      schema: {
        tags,
        summary: 'End a call',
        description:
          'Ends the call record at once (`hangupReason` `api-request`) and closes its media stream. Ending an ended call answers it unchanged.',
        body: EndCallBody,
        response: videoSdkResponses({ 200: MessageData(CallSchema) }, [400, 401, 404]),
      },
    },
    async (request) => ({
      message: 'Call ended successfully',
      data: callPayload(await calls.requestEnd(request.body.callId)),
    }),
  );
  done();
};

function pageOf(query: { page?: number; perPage?: number }) {
  const { number, size } = pageRequest(query);
  return { number, size };
}

function checkStatus(status: string): CallStatus {
  if (!(CALL_STATUSES as readonly string[]).includes(status)) {
    throw new ValidationError(`status "${status}" is not one of ${CALL_STATUSES.join(', ')}`, {
      source: { parameter: 'status' },
    });
  }
  return status as CallStatus;
}

/** Epoch milliseconds (what VideoSDK's SDK sends) or an ISO-8601 date-time, as stored text. */
function instant(value: string | undefined, parameter: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) {
    throw new ValidationError(
      `${parameter} must be epoch milliseconds or an ISO-8601 date-time, got "${value}"`,
      { source: { parameter } },
    );
  }
  return new Date(ms).toISOString();
}
