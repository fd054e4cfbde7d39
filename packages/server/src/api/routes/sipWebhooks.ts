import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Static } from 'typebox';
import type { SipWebhook } from '../../telephony/types.js';
import { SIP_WEBHOOK_EVENTS } from '../../telephony/types.js';
import type { RouteOptions } from './routeSupport.js';
import {
  MessageSchema,
  PageInfoSchema,
  PageQuery,
  pageBody,
  pageRequest,
  useVideoSdkErrors,
  videoSdkResponses,
} from './videoSdk.js';

const tags = ['Call webhooks'];

export const SipWebhookSchema = Type.Object({
  id: Type.String({ description: '`wh_…`' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https://' });
const Events = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 64,
  description: `Any of ${SIP_WEBHOOK_EVENTS.join(', ')}; Palaver sends call-started, call-answered, call-hangup and call-missed.`,
});

const CreateWebhookBody = Type.Object(
  { url: Url, events: Events },
  { additionalProperties: false },
);
const UpdateWebhookBody = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events) },
  { additionalProperties: false },
);
const WebhookIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const ListWebhooksQuery = Type.Object({
  ...PageQuery,
  search: Type.Optional(Type.String({ maxLength: 255, description: 'Part of the URL' })),
});

function presentWebhook(webhook: SipWebhook): Static<typeof SipWebhookSchema> {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
  };
}

/**
 * `/v2/sip/webhooks` (subscriptions to call webhooks, answered bare as VideoSDK's SDK expects)
 * and `/v2/public/rsa-public-key` (the key that verifies their `videosdk-signature`).
 */
export const sipWebhookRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (
  app,
  { deps },
  done,
) => {
  useVideoSdkErrors(app);
  const { sipWebhooks, signingKey } = deps.telephony;

  app.post(
    '/sip/webhooks',
    {
      schema: {
        tags,
        summary: 'Subscribe a URL to call events',
        body: CreateWebhookBody,
        response: videoSdkResponses({ 201: SipWebhookSchema }, [400, 401, 413, 415]),
      },
    },
    async (request, reply) =>
      reply.code(201).send(presentWebhook(await sipWebhooks.create(request.body))),
  );

  app.get(
    '/sip/webhooks',
    {
      schema: {
        tags,
        summary: 'List call webhook subscriptions',
        querystring: ListWebhooksQuery,
        response: videoSdkResponses(
          { 200: Type.Object({ data: Type.Array(SipWebhookSchema), pageInfo: PageInfoSchema }) },
          [400, 401],
        ),
      },
    },
    async (request) =>
      pageBody(
        await sipWebhooks.list(request.query.search, pageRequest(request.query)),
        presentWebhook,
      ),
  );

  app.get(
    '/sip/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Get a call webhook subscription',
        params: WebhookIdParams,
        response: videoSdkResponses({ 200: SipWebhookSchema }, [401, 404]),
      },
    },
    async (request) => presentWebhook(await sipWebhooks.get(request.params.id)),
  );

  app.patch(
    '/sip/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change a call webhook subscription',
        params: WebhookIdParams,
        body: UpdateWebhookBody,
        response: videoSdkResponses({ 200: SipWebhookSchema }),
      },
    },
    async (request) => presentWebhook(await sipWebhooks.update(request.params.id, request.body)),
  );

  app.delete(
    '/sip/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete a call webhook subscription',
        description: 'Deliveries still queued for it are dropped.',
        params: WebhookIdParams,
        response: videoSdkResponses({ 200: MessageSchema }, [401, 404]),
      },
    },
    async (request) => {
      await sipWebhooks.delete(request.params.id);
      return { message: 'Webhook deleted successfully' };
    },
  );

  app.get(
    '/public/rsa-public-key',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'The public key of call webhook signatures',
        description:
          "PEM (SPKI) of the RSA key whose RSA-SHA256 signature of the raw body is in each call webhook's `videosdk-signature` header. Needs no API key.",
        security: [],
        response: { 200: Type.Object({ publicKey: Type.String() }) },
      },
    },
    () => ({ publicKey: signingKey.publicKeyPem }),
  );
  done();
};
