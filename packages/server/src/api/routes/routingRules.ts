import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Static, TSchema } from 'typebox';
import { ValidationError } from '../../errors.js';
import type { RoutingRule, RoutingRuleInput } from '../../telephony/types.js';
import { RULE_TYPES } from '../../telephony/types.js';
import type { RouteOptions } from './routeSupport.js';
import {
  MessageSchema,
  PageInfoSchema,
  PageQuery,
  listParameter,
  pageBody,
  pageRequest,
  useVideoSdkErrors,
  videoSdkResponses,
} from './videoSdk.js';

const tags = ['SIP routing rules'];
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Strings = (max: number) => Type.Array(Type.String({ maxLength: 255 }), { maxItems: max });
const StringMap = Type.Record(Type.String({ maxLength: 255 }), Type.String({ maxLength: 1024 }));

const RoomSchema = Type.Object(
  {
    type: Type.String({ description: '`static` (one room) or `dynamic` (a new room per call)' }),
    id: Type.Optional(Type.String({ description: 'Static: a room id or unique_name' })),
    prefix: Type.Optional(
      Type.String({
        description:
          'Dynamic: how the room is named: `participantNumber`, `sipNumber`, `random` or `blank`',
      }),
    ),
    pin: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RoutingRuleSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String({ description: '`inbound` or `outbound`' }),
  numbers: Type.Array(Type.String(), { description: 'E.164 numbers (`phoneNumbers` on input)' }),
  room: RoomSchema,
  agentId: Nullable(Type.String()),
  agentMetadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
  hidePhoneNumber: Type.Boolean(),
  tags: Type.Array(Type.String()),
  includeHeaders: Type.Optional(Type.String()),
  headers: Type.Optional(StringMap),
  headersToAttributes: Type.Optional(StringMap),
  allowedNumbers: Type.Optional(Type.Array(Type.String())),
  allowedIpAddresses: Type.Optional(Type.Array(Type.String())),
  recording: Type.Optional(Type.Boolean()),
  dtmf: Type.Optional(Type.Boolean()),
  noiseCancellation: Type.Optional(Type.Boolean()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const ruleFields = {
  phoneNumbers: Type.Optional(
    Type.Array(Type.String({ maxLength: 32 }), {
      maxItems: 1000,
      description: 'E.164 numbers; an inbound rule takes the calls to them',
    }),
  ),
  numbers: Type.Optional(
    Type.Array(Type.String({ maxLength: 32 }), {
      maxItems: 1000,
      description: 'The same as phoneNumbers (the name rules are answered with)',
    }),
  ),
  room: Type.Optional(
    Type.Object(
      {
        type: Type.Optional(Type.String({ maxLength: 16 })),
        id: Type.Optional(Type.String({ maxLength: 255 })),
        prefix: Type.Optional(Type.String({ maxLength: 32 })),
        pin: Type.Optional(Type.String({ maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
  ),
  agentId: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  agentMetadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  includeHeaders: Type.Optional(Type.String({ maxLength: 32 })),
  headers: Type.Optional(StringMap),
  headersToAttributes: Type.Optional(StringMap),
  allowedNumbers: Type.Optional(Strings(1000)),
  allowedIpAddresses: Type.Optional(Strings(1000)),
  tags: Type.Optional(Strings(50)),
  recording: Type.Optional(Type.Boolean()),
  dtmf: Type.Optional(Type.Boolean()),
  noiseCancellation: Type.Optional(Type.Boolean()),
  hidePhoneNumber: Type.Optional(Type.Boolean()),
  apiKey: Type.Optional(Type.String({ description: 'Accepted for compatibility and ignored.' })),
};

const CreateRuleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    type: Type.String({ description: '`inbound` or `outbound`; never changes' }),
    ...ruleFields,
  },
  { additionalProperties: false },
);
type CreateRuleBody = Static<typeof CreateRuleBody>;

const UpdateRuleBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    type: Type.Optional(Type.String()),
    ...ruleFields,
  },
  { additionalProperties: false },
);
type UpdateRuleBody = Static<typeof UpdateRuleBody>;

const ListRulesQuery = Type.Object({
  ...PageQuery,
  search: Type.Optional(Type.String({ maxLength: 255 })),
  type: Type.Optional(Type.String()),
  ruleIds: Type.Optional(Type.String({ description: 'Comma-separated rule ids' })),
  roomType: Type.Optional(Type.String({ description: 'Comma-separated: static, dynamic' })),
});

const RuleIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function presentRoutingRule(rule: RoutingRule): Static<typeof RoutingRuleSchema> {
  const room =
    rule.room.type === 'static'
      ? { type: 'static', id: rule.room.id }
      : { type: 'dynamic', prefix: rule.room.prefix };
  return {
    id: rule.id,
    name: rule.name,
    type: rule.type,
    numbers: rule.numbers,
    room: { ...room, ...(rule.room.pin !== undefined && { pin: rule.room.pin }) },
    agentId: rule.agentId,
    agentMetadata: rule.agentMetadata,
    hidePhoneNumber: rule.hidePhoneNumber,
    tags: rule.tags,
    ...(rule.includeHeaders !== undefined && { includeHeaders: rule.includeHeaders }),
    ...(rule.headers !== undefined && { headers: rule.headers }),
    ...(rule.headersToAttributes !== undefined && {
      headersToAttributes: rule.headersToAttributes,
    }),
    ...(rule.allowedNumbers !== undefined && { allowedNumbers: rule.allowedNumbers }),
    ...(rule.allowedIpAddresses !== undefined && { allowedIpAddresses: rule.allowedIpAddresses }),
    ...(rule.recording !== undefined && { recording: rule.recording }),
    ...(rule.dtmf !== undefined && { dtmf: rule.dtmf }),
    ...(rule.noiseCancellation !== undefined && { noiseCancellation: rule.noiseCancellation }),
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], parameter: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(`${parameter} "${value}" is not one of ${allowed.join(', ')}`, {
      source: { parameter },
    });
  }
  return value as T;
}

function inputOf(body: CreateRuleBody | UpdateRuleBody): RoutingRuleInput {
  const { phoneNumbers, numbers, ...rest } = body;
  const input: RoutingRuleInput & { apiKey?: string } = {
    ...rest,
    numbers: phoneNumbers ?? numbers,
  };
  // Accepted for compatibility with VideoSDK's clients; Palaver has no per-rule keys.
  delete input.apiKey;
  return input;
}

/**
 * `/v2/sip/routing-rule`: VideoSDK's routing rules. As its SDK expects, a rule is answered bare
 * (no envelope) and lists carry `pageInfo`.
 */
export const routingRuleRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (
  app,
  { deps },
  done,
) => {
  useVideoSdkErrors(app);
  const { rules } = deps.telephony;

  app.post(
    '/sip/routing-rule',
    {
      schema: {
        tags,
        summary: 'Create a routing rule',
        body: CreateRuleBody,
        response: videoSdkResponses({ 201: RoutingRuleSchema }, [400, 401, 413, 415]),
      },
    },
    async (request, reply) => {
      const rule = await rules.create(inputOf(request.body));
      return reply.code(201).send(presentRoutingRule(rule));
    },
  );

  app.get(
    '/sip/routing-rule',
    {
      schema: {
        tags,
        summary: 'List routing rules',
        querystring: ListRulesQuery,
        response: videoSdkResponses(
          {
            200: Type.Object({ data: Type.Array(RoutingRuleSchema), pageInfo: PageInfoSchema }),
          },
          [400, 401],
        ),
      },
    },
    async (request) => {
      const { query } = request;
      const page = await rules.list(
        {
          search: query.search,
          type: query.type === undefined ? undefined : oneOf(query.type, RULE_TYPES, 'type'),
          ruleIds: listParameter(query.ruleIds),
          roomTypes: listParameter(query.roomType)?.map((t) =>
            oneOf(t, ['static', 'dynamic'] as const, 'roomType'),
          ),
        },
        pageRequest(query),
      );
      return pageBody(page, presentRoutingRule);
    },
  );

  app.get(
    '/sip/routing-rule/:id',
    {
      schema: {
        tags,
        summary: 'Get a routing rule',
        params: RuleIdParams,
        response: videoSdkResponses({ 200: RoutingRuleSchema }, [401, 404]),
      },
    },
    async (request) => presentRoutingRule(await rules.get(request.params.id)),
  );

  app.patch(
    '/sip/routing-rule/:id',
    {
      schema: {
        tags,
        summary: 'Change a routing rule',
        description: 'Fields given replace the stored ones (`room` and the numbers as a whole).',
        params: RuleIdParams,
        body: UpdateRuleBody,
        response: videoSdkResponses({ 200: RoutingRuleSchema }),
      },
    },
    async (request) =>
      presentRoutingRule(await rules.update(request.params.id, inputOf(request.body))),
  );

  app.delete(
    '/sip/routing-rule/:id',
    {
      schema: {
        tags,
        summary: 'Delete a routing rule',
        params: RuleIdParams,
        response: videoSdkResponses({ 200: MessageSchema }, [401, 404]),
      },
    },
    async (request) => {
      await rules.delete(request.params.id);
      return { message: 'Routing rule deleted successfully' };
    },
  );
  done();
};
