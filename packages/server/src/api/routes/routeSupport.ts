import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TSchema } from 'typebox';
import { AuthenticationError } from '../../errors.js';
import type { PageRequest } from '../../store/listQuery.js';
import { DEFAULT_PAGE } from '../../store/listQuery.js';
import type { AppDependencies } from '../createApp.js';
import { ErrorBodySchema } from '../schemas.js';

export interface RouteOptions {
  deps: AppDependencies;
}

/** The page a list request asks for, with Telnyx's defaults. */
export function pageOf(query: { page?: { number?: number; size?: number } }): PageRequest {
  return {
    number: query.page?.number ?? DEFAULT_PAGE.number,
    size: query.page?.size ?? DEFAULT_PAGE.size,
  };
}

/** The id of the API key a request authenticated with. */
export function principalId(request: FastifyRequest): string {
  if (request.principal === undefined) {
    throw new AuthenticationError('no API key');
  }
  return request.principal.keyId;
}

/** Response schemas for a route: its success body plus the error shape for the given statuses. */
export function responses(
  success: Record<number, TSchema>,
  errorStatuses: number[] = [401, 404, 422],
): Record<number, TSchema> {
  const result: Record<number, TSchema> = { ...success };
  for (const status of errorStatuses) {
    result[status] = ErrorBodySchema;
  }
  return result;
}

export const NoContent = Type.Null({ description: 'No content' });
