import { ValidationError } from '../errors.js';

/** A filter on a timestamp column: each bound is a date (`2026-04-25`) or a date-time. */
export interface TimeFilter {
  eq?: string | undefined;
  gte?: string | undefined;
  lte?: string | undefined;
}

export type Comparison = '=' | '>=' | '<' | '<=';

/** One condition on a timestamp column, with the value as stored (ISO-8601 UTC, milliseconds). */
export interface TimeCondition {
  op: Comparison;
  value: string;
}

/** Which page of a list to return. `number` starts at 1. */
export interface PageRequest {
  number: number;
  size: number;
}

/** One page of a list and the size of the whole list. */
export interface Page<T> {
  items: T[];
  total: number;
  number: number;
  size: number;
}

export const DEFAULT_PAGE: PageRequest = { number: 1, size: 20 };

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Turns a time filter into conditions on stored timestamps. A bare date means the whole UTC day:
 * `eq` matches any moment of it and `lte` includes it; a date-time compares exactly.
 * `parameter` names the filter in error messages, e.g. `filter[date_created_at]`.
 */
export function timeConditions(filter: TimeFilter | undefined, parameter: string): TimeCondition[] {
  if (filter === undefined) {
    return [];
  }
  const conditions: TimeCondition[] = [];
  for (const op of ['eq', 'gte', 'lte'] as const) {
    const raw = filter[op];
    if (raw === undefined) {
      continue;
    }
    const name = `${parameter}[${op}]`;
    if (DATE_ONLY.test(raw)) {
      const start = parseInstant(`${raw}T00:00:00.000Z`, raw, name);
      const next = new Date(Date.parse(start) + 86_400_000).toISOString();
      if (op === 'eq') {
        conditions.push({ op: '>=', value: start }, { op: '<', value: next });
      } else if (op === 'gte') {
        conditions.push({ op: '>=', value: start });
      } else {
        conditions.push({ op: '<', value: next });
      }
    } else {
      const instant = parseInstant(raw, raw, name);
      conditions.push({ op: op === 'eq' ? '=' : op === 'gte' ? '>=' : '<=', value: instant });
    }
  }
  return conditions;
}

function parseInstant(candidate: string, raw: string, parameter: string): string {
  const ms = Date.parse(candidate);
  // Date.parse accepts day 31 of any month; the round trip catches impossible dates.
  if (
    Number.isNaN(ms) ||
    (DATE_ONLY.test(raw) && new Date(ms).toISOString().slice(0, 10) !== raw) ||
    (!DATE_ONLY.test(raw) && !/^\d{4}-\d{2}-\d{2}T/.test(raw))
  ) {
    throw new ValidationError(
      `${parameter} must be a date (YYYY-MM-DD) or an ISO-8601 date-time, got "${raw}"`,
      { source: { parameter } },
    );
  }
  return new Date(ms).toISOString();
}

/** Total number of pages for a list of `total` items; 0 for an empty list. */
export function pageCount(total: number, size: number): number {
  return Math.ceil(total / size);
}
