import { Ajv } from 'ajv';
import type { ErrorObject, Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import qs from 'qs';
import { ErrorCode } from '@palaver/protocol';
import type { ApiKeyService, ApiPrincipal } from '../auth/ApiKeyService.js';
import { PalaverError } from '../errors.js';
import type { RoomService } from '../rooms/RoomService.js';
import type { SessionActions } from '../rooms/SessionActions.js';
import type { Store } from '../store/Store.js';
import type { WebhookSigningKey } from '../webhooks/WebhookSigningKey.js';
import type { Telephony } from '../telephony/Telephony.js';
import type { SigningKeySet } from '../tokens/SigningKeySet.js';
import type { ApiErrorResponse } from './ApiErrors.js';
import { errorResponse, palaverErrorResponse, validationErrorResponse } from './ApiErrors.js';
import type { HttpMetrics } from './HttpMetrics.js';
import { redactWebhookKey } from './routes/hooks.js';
import { participantRoutes } from './routes/participants.js';
import { roomRoutes } from './routes/rooms.js';
import { sessionRoutes } from './routes/sessions.js';
import { demoRoutes } from './routes/demo.js';
import { systemRoutes } from './routes/system.js';
import { webhookRoutes } from './routes/webhooks.js';
import { recordingRoutes } from './routes/recordings.js';
import type { CompositionService } from '../recording/CompositionService.js';
import type { DownloadLinks } from '../recording/DownloadLinks.js';
import type { RecordingService } from '../recording/RecordingService.js';
import { telephonyRoutes } from './routes/telephony.js';

export interface AppDependencies {
  logger: Logger;
  store: Store;
  apiKeys: ApiKeyService;
  rooms: RoomService;
  /** End, kick, mute and unmute on room sessions. */
  sessionActions: SessionActions;
  signingKeys: SigningKeySet;
  metrics: HttpMetrics;
  /** Largest request body accepted, in bytes. Default: 1 MiB. */
  bodyLimit?: number;
  /** Connectors, routing rules, calls and call webhooks. */
  telephony: Telephony;
  /** The key room webhooks are signed with; its public half is served to receivers. */
  webhookSigningKey: WebhookSigningKey;
  /** Recordings, compositions and their download links. */
  media: {
    recordings: RecordingService;
    compositions: CompositionService;
    downloadLinks: DownloadLinks;
  };
  /** The base URL clients reach the API at, when configured (else taken from each request). */
  publicUrl?: string | undefined;
  /** Demo mode (`PALAVER_DEMO=1`): the built demo page served at `/`, and `POST /demo/join`. */
  demo?: { dir: string } | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key check on authenticated routes. */
    principal?: ApiPrincipal;
  }
  interface FastifyReply {
    /** The error this reply answers, for the request log line. */
    answeredError?: ApiErrorResponse;
  }
  interface FastifyContextConfig {
    /** Routes that need no API key. */
    public?: boolean;
  }
}

// Bodies are validated strictly (a string is not a number); query strings arrive as text, so
// their values are coerced to the schema's types.
const baseAjvOptions: AjvOptions = {
  allErrors: false,
  useDefaults: false,
  removeAdditional: false,
  strict: false,
};

/** Builds the HTTP application without listening, so tests can drive it in process too. */
export async function createApp(deps: AppDependencies): Promise<FastifyInstance> {
  // Fastify's logger type is narrower than pino's own; the instance is the same.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    // Our onResponse hook writes the one line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    routerOptions: {
      querystringParser: (query: string) => qs.parse(query, { depth: 3, parameterLimit: 200 }),
      ignoreTrailingSlash: true,
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const bodyAjv = addFormats.default(new Ajv({ ...baseAjvOptions, coerceTypes: false }));
  const queryAjv = addFormats.default(new Ajv({ ...baseAjvOptions, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema),
  );
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const error = new Error(`validation failed for ${dataVar}`) as Error & {
      validation: ErrorObject[];
    };
    error.validation = errors as ErrorObject[];
    return error;
  });

  // JSON bodies: an empty body counts as `{}` (SDKs send none for parameterless actions), and a
  // syntax error is answered precisely.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new PalaverError(
          ErrorCode.MalformedRequest,
          `request body is not valid JSON: ${(error as Error).message}`,
        ),
        undefined,
      );
    }
  });

  // A POST without any body means "no parameters", as for a body of `{}`.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') {
      request.body = {};
    }
    done();
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Palaver API',
        version: '2.0.0',
        description:
          "Palaver's REST API, wire-compatible with Telnyx's Video Rooms API v2: rooms, client join tokens, room sessions and participants.",
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearerAuth: [] }],
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v2/') || request.routeOptions.config.public === true) {
      return;
    }
    const secret = bearerSecret(request.headers.authorization);
    if (secret === undefined) {
      return sendError(
        reply,
        errorResponse(
          ErrorCode.Unauthorized,
          'an API key is required: send "Authorization: Bearer <key>"',
        ),
      );
    }
    const principal = await deps.apiKeys.authenticate(secret);
    if (principal === undefined) {
      return sendError(
        reply,
        errorResponse(ErrorCode.Unauthorized, 'the API key is unknown or revoked'),
      );
    }
    request.principal = principal;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // One line per request: answers with errors at info (or error for 5xx), the rest at debug.
    const line = {
      method: request.method,
      // Connector webhook URLs carry their secret key.
      url: redactWebhookKey(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(reply.answeredError !== undefined && { error: reply.answeredError.body.errors[0] }),
    };
    if (reply.statusCode >= 500) {
      request.log.error(line, 'request failed');
    } else if (reply.statusCode >= 400) {
      request.log.info(line, 'request refused');
    } else {
      request.log.debug(line, 'request');
    }
  });

  app.setErrorHandler((error: FastifyError & { validation?: ErrorObject[] }, request, reply) => {
    const response = toErrorResponse(error, request);
    if (response.status >= 500) {
      request.log.error({ err: error }, 'unexpected error');
    }
    return sendError(reply, response);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      errorResponse(ErrorCode.RouteNotFound, `no route for ${request.method} ${request.url}`),
    ),
  );

  await app.register(systemRoutes, { deps });
  if (deps.demo !== undefined) {
    await app.register(demoRoutes, { rooms: deps.rooms, dir: deps.demo.dir });
  }
  await app.register(
    async (v2) => {
      await v2.register(roomRoutes, { deps });
      await v2.register(sessionRoutes, { deps });
      await v2.register(telephonyRoutes, { deps });
      await v2.register(participantRoutes, { deps });
      await v2.register(webhookRoutes, { deps });
      await v2.register(recordingRoutes, { deps });
      let openapi: unknown;
      v2.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => {
        openapi ??= withDeepObjectQueries(app.swagger());
        return openapi;
      });
    },
    { prefix: '/v2' },
  );
  return app;
}

function bearerSecret(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  // VideoSDK's clients send the key bare, Telnyx's with "Bearer "; both are accepted.
  const match = /^(?:Bearer\s+)?(\S+)\s*$/i.exec(header.trim());
  return match?.[1];
}

function toErrorResponse(
  error: FastifyError & { validation?: ErrorObject[]; validationContext?: string },
  request: FastifyRequest,
): ApiErrorResponse {
  if (error instanceof PalaverError) {
    return palaverErrorResponse(error);
  }
  const first = error.validation?.[0];
  if (first !== undefined) {
    const part = error.validationContext ?? 'body';
    const input =
      part === 'body' ? request.body : part === 'querystring' ? request.query : request.params;
    return validationErrorResponse(part, first, input);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorResponse(
        ErrorCode.PayloadTooLarge,
        'request body is larger than the server accepts',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorResponse(
        ErrorCode.MalformedRequest,
        `unsupported content type "${String(request.headers['content-type'])}"; send application/json`,
        undefined,
        415,
      );
    default:
      break;
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return errorResponse(ErrorCode.MalformedRequest, error.message, undefined, error.statusCode);
  }
  return errorResponse(ErrorCode.Internal, 'an unexpected error occurred; see the server log');
}

function sendError(reply: FastifyReply, response: ApiErrorResponse): FastifyReply {
  reply.answeredError = response;
  return reply
    .code(response.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(response.body);
}

/**
 * Marks object-valued query parameters (`filter`, `page`) as OpenAPI `deepObject`s, which is how
 * they are sent: `filter[date_created_at][gte]=…`.
 */
function withDeepObjectQueries<T>(document: T): T {
  const copy = structuredClone(document) as {
    paths?: Record<string, Record<string, { parameters?: Record<string, unknown>[] }>>;
  };
  for (const operations of Object.values(copy.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const parameter of operation.parameters ?? []) {
        const schema = parameter.schema as { type?: string } | undefined;
        if (parameter.in === 'query' && schema?.type === 'object') {
          parameter.style = 'deepObject';
          parameter.explode = true;
        }
      }
    }
  }
  return copy as T;
}
