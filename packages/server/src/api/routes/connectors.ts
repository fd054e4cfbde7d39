import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Static, TSchema } from 'typebox';
import type { Connector } from '../../telephony/types.js';
import type { RouteOptions } from './routeSupport.js';
import { MessageData, MessageSchema, useVideoSdkErrors, videoSdkResponses } from './videoSdk.js';

const tags = ['Connectors'];
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ConnectorSchema = Type.Object(
  {
    id: Type.String({ description: '`cn_…`' }),
    provider: Type.String(),
    name: Nullable(Type.String()),
    webhookUrl: Type.String({
      description: "The TeXML application's voice webhook URL; it embeds the secret whk_ key.",
    }),
    defaultRoomId: Nullable(Type.String()),
    defaultRuleId: Nullable(Type.String()),
    region: Nullable(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    telnyxPublicKey: Nullable(Type.String()),
    hasTelnyxApiKey: Type.Boolean(),
  },
  { description: 'A telephony connector: the secret webhook URL of a Telnyx TeXML application.' },
);

const settings = {
  name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  defaultRoomId: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'A room id or unique_name; calls join it when nothing else routes them.',
      }),
    ),
  ),
  defaultRuleId: Type.Optional(
    Nullable(Type.String({ minLength: 1, maxLength: 64, description: 'Fallback routing rule.' })),
  ),
  region: Type.Optional(
    Nullable(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,32}$',
        description: 'Pins the ingest region (e.g. us002); otherwise derived from the caller.',
      }),
    ),
  ),
  telnyxPublicKey: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 4096,
        description:
          "Telnyx's public key (base64 or PEM); when set, voice webhooks must carry a valid telnyx-signature-ed25519.",
      }),
    ),
  ),
  telnyxApiKey: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 1024,
        description: 'Telnyx API key for hanging calls up through Call Control; never shown.',
      }),
    ),
  ),
};

const CreateConnectorBody = Type.Object(
  { provider: Type.String({ maxLength: 64, description: 'Must be `telnyx`.' }), ...settings },
  { additionalProperties: false },
);
const UpdateConnectorBody = Type.Object(settings, { additionalProperties: false });
const ConnectorIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function presentConnector(connector: Connector): Static<typeof ConnectorSchema> {
  return {
    id: connector.id,
    provider: connector.provider,
    name: connector.name,
    webhookUrl: connector.webhookUrl,
    defaultRoomId: connector.defaultRoomId,
    defaultRuleId: connector.defaultRuleId,
    region: connector.region,
    createdAt: connector.createdAt,
    updatedAt: connector.updatedAt,
    telnyxPublicKey: connector.telnyxPublicKey,
    hasTelnyxApiKey: connector.hasTelnyxApiKey,
  };
}

/** `/v2/connectors`: VideoSDK's Connectors API for Telnyx. */
export const connectorRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (
  app,
  { deps },
  done,
) => {
  useVideoSdkErrors(app);
  const { connectors } = deps.telephony;

  app.post(
    '/connectors',
    {
      schema: {
        tags,
        summary: 'Create a connector',
        body: CreateConnectorBody,
        response: videoSdkResponses({ 201: MessageData(ConnectorSchema) }, [400, 401, 413, 415]),
      },
    },
    async (request, reply) => {
      const { provider, ...rest } = request.body;
      const connector = await connectors.create(provider, rest);
      return reply
        .code(201)
        .send({ message: 'Connector created successfully', data: presentConnector(connector) });
    },
  );

  app.get(
    '/connectors',
    {
      schema: {
        tags,
        summary: 'List connectors',
        response: videoSdkResponses(
          { 200: Type.Object({ message: Type.String(), data: Type.Array(ConnectorSchema) }) },
          [401],
        ),
      },
    },
    async () => ({
      message: 'Connectors fetched successfully',
      data: (await connectors.list()).map(presentConnector),
    }),
  );

  app.get(
    '/connectors/:id',
    {
      schema: {
        tags,
        summary: 'Get a connector',
        params: ConnectorIdParams,
        response: videoSdkResponses({ 200: MessageData(ConnectorSchema) }, [401, 404]),
      },
    },
    async (request) => ({
      message: 'Connector fetched successfully',
      data: presentConnector(await connectors.get(request.params.id)),
    }),
  );

  app.patch(
    '/connectors/:id',
    {
      schema: {
        tags,
        summary: 'Change a connector (a Palaver extension)',
        description: 'Changes any setting but the provider; null clears one. The URL stays.',
        params: ConnectorIdParams,
        body: UpdateConnectorBody,
        response: videoSdkResponses({ 200: MessageData(ConnectorSchema) }),
      },
    },
    async (request) => ({
      message: 'Connector updated successfully',
      data: presentConnector(await connectors.update(request.params.id, request.body)),
    }),
  );

  app.post(
    '/connectors/:id/rotate-key',
    {
      schema: {
        tags,
        summary: 'Rotate the webhook key',
        description: 'The old webhook URL stops working at once; the answer has the new one.',
        params: ConnectorIdParams,
        response: videoSdkResponses({ 200: MessageData(ConnectorSchema) }, [401, 404]),
      },
    },
    async (request) => ({
      message: 'Webhook key rotated successfully',
      data: presentConnector(await connectors.rotateKey(request.params.id)),
    }),
  );

  app.delete(
    '/connectors/:id',
    {
      schema: {
        tags,
        summary: 'Delete a connector',
        description: 'Its webhook URL stops working; its calls stay listed.',
        params: ConnectorIdParams,
        response: videoSdkResponses({ 200: MessageSchema }, [401, 404]),
      },
    },
    async (request) => {
      await connectors.delete(request.params.id);
      return { message: 'Connector deleted successfully' };
    },
  );
  done();
};
