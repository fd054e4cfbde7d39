import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callRoutes } from './calls.js';
import { connectorRoutes } from './connectors.js';
import { hookRoutes } from './hooks.js';
import type { RouteOptions } from './routeSupport.js';
import { routingRuleRoutes } from './routingRules.js';
import { sipWebhookRoutes } from './sipWebhooks.js';

/** The telephone connector's routes, in VideoSDK's shapes; each group is its own plugin. */
export const telephonyRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, options) => {
  await app.register(connectorRoutes, options);
  await app.register(routingRuleRoutes, options);
  await app.register(callRoutes, options);
  await app.register(sipWebhookRoutes, options);
  await app.register(hookRoutes, options);
};
