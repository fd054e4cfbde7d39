import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteOptions } from './routeSupport.js';

/** Health, readiness, metrics and the token signing keys; none needs an API key. */
export const systemRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (app, { deps }, done) => {
  app.get('/healthz', { schema: { hide: true } }, () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'store is not answering');
      return reply.code(503).send({ status: 'unavailable', reason: 'store is not answering' });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(body);
  });

  app.get('/.well-known/jwks.json', { schema: { hide: true } }, () => deps.signingKeys.jwks());

  // In demo mode `/` is the demo page instead (routes/demo.ts).
  if (deps.demo === undefined) {
    app.get('/', { schema: { hide: true } }, () => ({
      name: 'palaver',
      api: '/v2',
      openapi: '/v2/openapi.json',
      health: '/healthz',
      demo: 'off (PALAVER_DEMO=1 serves a demo page here)',
    }));
  }
  done();
};
