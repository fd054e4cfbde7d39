import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WebhookSigningKey } from '../../webhooks/WebhookSigningKey.js';
import { Data } from '../schemas.js';

/** What the webhook routes need; `AppDependencies` provides it once it has the field. */
export interface WebhookRouteOptions {
  deps: { webhookSigningKey: Pick<WebhookSigningKey, 'publicKey' | 'algorithm'> };
}

export const WebhookPublicKeySchema = Type.Object(
  {
    record_type: Type.Literal('webhook_public_key'),
    public_key: Type.String({
      description: 'The raw 32-byte Ed25519 public key, base64: pass it as `publicKey` to verify.',
    }),
    algorithm: Type.Literal('Ed25519'),
  },
  { description: 'The key that signs room webhooks.' },
);

/** The public key receivers verify room webhooks with; no API key needed. */
export const webhookRoutes: FastifyPluginCallbackTypebox<WebhookRouteOptions> = (
  app,
  { deps },
  done,
) => {
  app.get(
    '/webhook_public_key',
    {
      config: { public: true },
      schema: {
        tags: ['Webhooks'],
        summary: 'The public key that signs room webhooks',
        security: [],
        response: { 200: Data(WebhookPublicKeySchema) },
      },
    },
    () => ({
      data: {
        record_type: 'webhook_public_key' as const,
        public_key: deps.webhookSigningKey.publicKey,
        algorithm: 'Ed25519' as const,
      },
    }),
  );
  done();
};
