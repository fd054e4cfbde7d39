import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CONNECTOR_HOOK_PATH } from '../../telephony/ConnectorService.js';
import {
  TELNYX_SIGNATURE_HEADER,
  TELNYX_TIMESTAMP_HEADER,
} from '../../telephony/telnyxSignature.js';
import type { RouteOptions } from './routeSupport.js';
import { useVideoSdkErrors } from './videoSdk.js';

/** A voice webhook is a few hundred bytes; anything near this is not from Telnyx. */
export const HOOK_BODY_LIMIT = 64 * 1024;

/** A form-encoded body as received, kept whole because a Telnyx signature covers its bytes. */
class FormBody {
  readonly raw: string;
  readonly fields: Record<string, string>;

  constructor(raw: string) {
    this.raw = raw;
    this.fields = {};
    for (const [name, value] of new URLSearchParams(raw)) {
      // Telnyx sends each parameter once; if one repeats, the first counts.
      this.fields[name] ??= value;
    }
  }
}

/** Hides the secret webhook key of connector URLs (for logs). */
export function redactWebhookKey(url: string): string {
  return url.replace(/(\/hooks\/[a-z]+\/whk_)[A-Za-z0-9]+/g, '$1…');
}

const HookParams = Type.Object({ key: Type.String({ description: '`whk_…`' }) });

/**
 * The connector webhook Telnyx's TeXML application calls: `POST` (form-encoded) or `GET` (query)
 * `/v2/hooks/telnyx/whk_…[?roomId=…]`. Public: the secret key in the path is the credential.
 */
export const hookRoutes: FastifyPluginCallbackTypebox<RouteOptions> = (app, { deps }, done) => {
  useVideoSdkErrors(app);
  const { calls } = deps.telephony;

  // Only here are form bodies welcome; the JSON API keeps refusing them with 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: HOOK_BODY_LIMIT },
    (_request, body, parsed) => {
      parsed(null, new FormBody(typeof body === 'string' ? body : body.toString('utf8')));
    },
  );
  app.setErrorHandler((error: Error & { code?: string }, request) => {
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      // Answered by the API's error handler, which takes the status from the error.
      throw Object.assign(
        new Error(
          `unsupported content type "${String(request.headers['content-type'])}"; Telnyx posts the voice webhook form-encoded (application/x-www-form-urlencoded)`,
        ),
        { statusCode: 415 },
      );
    }
    throw error;
  });

  const schema = {
    tags: ['Connectors'],
    summary: "A connector's TeXML voice webhook",
    description:
      'Called by Telnyx, not by API clients: the secret key in the path authenticates. Answers TeXML that streams the call into its room, or says no room was found and hangs up. An unknown or rotated key gets 404.',
    security: [],
    params: HookParams,
  };
  const path = `${CONNECTOR_HOOK_PATH.replace(/^\/v2/, '')}:key`;
  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: path,
      config: { public: true },
      bodyLimit: HOOK_BODY_LIMIT,
      schema,
      handler: async (request, reply) => {
        const query = stringFields(request.query);
        const form = request.body instanceof FormBody ? request.body : undefined;
        const answer = await calls.handleVoiceWebhook({
          webhookKey: request.params.key,
          fields: request.method === 'GET' ? query : (form?.fields ?? {}),
          rawBody: form?.raw ?? '',
          roomId: query.roomId,
          signature: header(request, TELNYX_SIGNATURE_HEADER),
          timestamp: header(request, TELNYX_TIMESTAMP_HEADER),
        });
        return reply.type('text/xml; charset=utf-8').send(answer.texml);
      },
    });
  }
  done();
};

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The plain string parameters of a parsed query (nested or repeated ones keep their first). */
function stringFields(query: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (typeof query !== 'object' || query === null) {
    return fields;
  }
  for (const [name, value] of Object.entries(query)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') {
      fields[name] = first;
    }
  }
  return fields;
}
