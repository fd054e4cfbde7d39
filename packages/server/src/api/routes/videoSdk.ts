import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Static, TSchema } from 'typebox';
import type { Page, PageRequest } from '../../store/listQuery.js';

// Shared pieces of the routes that speak VideoSDK's wire shapes (connectors, SIP routing rules,
// calls and call webhooks): camelCase fields, `{"message", "data"}` envelopes, `pageInfo`
// pagination and VideoSDK-style errors.

/**
 * Makes error answers of the plugin's routes readable by VideoSDK's server SDK, which takes
 * `message` (and `code`) from the body and picks its error class from the status: the body gains
 * `message` and `code` beside Palaver's `errors` array, and a validation failure is 400, as
 * VideoSDK documents, rather than the 422 of the Telnyx-compatible routes.
 */
export function useVideoSdkErrors(app: FastifyInstance): void {
  app.addHook('preSerialization', async (_request, reply, payload) => {
    const answered = reply.answeredError;
    if (answered === undefined || payload !== answered.body) {
      return payload;
    }
    if (reply.statusCode === 422) {
      reply.code(400);
    }
    const first = answered.body.errors[0];
    return {
      message: first?.detail ?? first?.title ?? 'request failed',
      code: first?.code,
      errors: answered.body.errors,
    };
  });
}

/** `?page=&perPage=`, as VideoSDK's lists take them. */
export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, description: 'From 1. Default: 1' })),
  perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default: 20' })),
};

export function pageRequest(query: {
  page?: number | undefined;
  perPage?: number | undefined;
}): PageRequest {
  return { number: query.page ?? 1, size: query.perPage ?? 20 };
}

export const PageInfoSchema = Type.Object({
  currentPage: Type.Integer(),
  perPage: Type.Integer(),
  lastPage: Type.Integer(),
  total: Type.Integer(),
});

/** `{"data": [...], "pageInfo": {...}}`, the list shape VideoSDK's SDK pages through. */
export function pageBody<T, R>(
  page: Page<T>,
  present: (item: T) => R,
): { data: R[]; pageInfo: Static<typeof PageInfoSchema> } {
  return {
    data: page.items.map(present),
    pageInfo: {
      currentPage: page.number,
      perPage: page.size,
      lastPage: Math.max(1, Math.ceil(page.total / page.size)),
      total: page.total,
    },
  };
}

export const MessageSchema = Type.Object({ message: Type.String() });

/** `{"message": …, "data": T}` */
export const MessageData = <T extends TSchema>(schema: T) =>
  Type.Object({ message: Type.String(), data: schema });

/** The error body of these routes. */
export const VideoSdkErrorSchema = Type.Object({
  message: Type.String(),
  code: Type.Optional(Type.String()),
  errors: Type.Array(Type.Unknown()),
});

/** Response schemas: the success bodies plus the error body for each status given. */
export function videoSdkResponses(
  success: Record<number, TSchema>,
  errorStatuses: number[] = [400, 401, 404],
): Record<number, TSchema> {
  const result: Record<number, TSchema> = { ...success };
  for (const status of errorStatuses) {
    result[status] = VideoSdkErrorSchema;
  }
  return result;
}

/** A comma-separated list parameter (`ruleIds=a,b`), as the SDK sends arrays. */
export function listParameter(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  const items = (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return items.length === 0 ? undefined : items;
}
