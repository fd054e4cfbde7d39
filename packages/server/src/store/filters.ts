import type { SelectQueryBuilder } from 'kysely';
import { sql } from 'kysely';
import type { PageRequest, TimeFilter } from './listQuery.js';
import { timeConditions } from './listQuery.js';

/** Adds the conditions of a time filter on `column`; `parameter` names it in errors. */
export function whereTime<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: string,
  filter: TimeFilter | undefined,
  parameter: string,
): SelectQueryBuilder<DB, TB, O> {
  let result = query;
  for (const condition of timeConditions(filter, parameter)) {
    result = result.where(sql.ref(column), condition.op, condition.value);
  }
  return result;
}

/** Runs a filtered query twice, once counting and once for one page. */
export async function paginate<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  order: (q: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, O>,
  map: (row: O) => T,
): Promise<{ items: T[]; total: number; number: number; size: number }> {
  const counted = await query
    .clearSelect()
    .select(sql<number | string>`count(*)`.as('n'))
    .executeTakeFirst();
  const total = Number((counted as { n?: number | string } | undefined)?.n ?? 0);
  const rows =
    total > (page.number - 1) * page.size
      ? await order(query)
          .limit(page.size)
          .offset((page.number - 1) * page.size)
          .execute()
      : [];
  return { items: rows.map(map), total, number: page.number, size: page.size };
}
