import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type {
  RoomPrefix,
  RoutingRule,
  RoutingRuleFilter,
  RuleOptions,
  RuleType,
} from '../telephony/types.js';
import { paginate } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import type { Database, SipRoutingRuleTable } from './schema.js';

type RuleRow = Selectable<SipRoutingRuleTable>;

export class RoutingRuleRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores a rule and, for an inbound rule, claims its numbers; a number another inbound rule
   * holds makes the insert fail with a unique violation and nothing is stored.
   */
  async insert(row: Insertable<SipRoutingRuleTable>, claimedNumbers: string[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('sip_routing_rules').values(row).execute();
      await claim(trx, row.id, claimedNumbers);
    });
  }

  /** Replaces a rule's row and its claimed numbers; false when there is no such rule. */
  async replace(row: Insertable<SipRoutingRuleTable>, claimedNumbers: string[]): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const { id } = row;
      const changes: Updateable<SipRoutingRuleTable> = { ...row };
      delete changes.id;
      delete changes.created_at;
      const result = await trx
        .updateTable('sip_routing_rules')
        .set(changes)
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        return false;
      }
      await trx.deleteFrom('sip_routing_rule_numbers').where('rule_id', '=', id).execute();
      await claim(trx, id, claimedNumbers);
      return true;
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sip_routing_rule_numbers').where('rule_id', '=', id).execute();
      const result = await trx
        .deleteFrom('sip_routing_rules')
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async find(id: string): Promise<RoutingRule | undefined> {
    const row = await this.#db
      .selectFrom('sip_routing_rules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toRule(row);
  }

  /** The inbound rule that claims `number`, if any. */
  async findInboundByNumber(number: string): Promise<RoutingRule | undefined> {
    const row = await this.#db
      .selectFrom('sip_routing_rule_numbers')
      .innerJoin('sip_routing_rules', 'sip_routing_rules.id', 'sip_routing_rule_numbers.rule_id')
      .selectAll('sip_routing_rules')
      .where('sip_routing_rule_numbers.number', '=', number)
      .executeTakeFirst();
    return row === undefined ? undefined : toRule(row);
  }

  /** The rule that claims `number`, other than `exceptRuleId`. */
  async ownerOfNumber(number: string, exceptRuleId?: string): Promise<string | undefined> {
    let query = this.#db
      .selectFrom('sip_routing_rule_numbers')
      .select('rule_id')
      .where('number', '=', number);
    if (exceptRuleId !== undefined) {
      query = query.where('rule_id', '!=', exceptRuleId);
    }
    return (await query.executeTakeFirst())?.rule_id;
  }

  async list(filter: RoutingRuleFilter, page: PageRequest): Promise<Page<RoutingRule>> {
    let query = this.#db.selectFrom('sip_routing_rules').selectAll();
    if (filter.type !== undefined) {
      query = query.where('type', '=', filter.type);
    }
    if (filter.ruleIds !== undefined && filter.ruleIds.length > 0) {
      query = query.where('id', 'in', filter.ruleIds);
    }
    if (filter.roomTypes !== undefined && filter.roomTypes.length > 0) {
      query = query.where('room_type', 'in', filter.roomTypes);
    }
    if (filter.search !== undefined && filter.search !== '') {
      const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql<string>`lower(name)`, 'like', sql<string>`${pattern} escape '\\'`),
          eb('numbers', 'like', sql<string>`${pattern} escape '\\'`),
        ]),
      );
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('created_at', 'desc').orderBy('id', 'desc'),
      toRule,
    );
  }
}

async function claim(db: Kysely<Database>, ruleId: string, numbers: string[]): Promise<void> {
  if (numbers.length > 0) {
    await db
      .insertInto('sip_routing_rule_numbers')
      .values(numbers.map((number) => ({ number, rule_id: ruleId })))
      .execute();
  }
}

/** Escapes LIKE's wildcards so a search matches them literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toRule(row: RuleRow): RoutingRule {
  const options = JSON.parse(row.options) as RuleOptions;
  return {
    id: row.id,
    name: row.name,
    type: row.type as RuleType,
    numbers: JSON.parse(row.numbers) as string[],
    room:
      row.room_type === 'static'
        ? {
            type: 'static',
            id: row.room_id ?? '',
            ...(row.room_pin !== null && { pin: row.room_pin }),
          }
        : {
            type: 'dynamic',
            prefix: (row.room_prefix ?? 'blank') as RoomPrefix,
            ...(row.room_pin !== null && { pin: row.room_pin }),
          },
    agentId: row.agent_id,
    agentMetadata:
      row.agent_metadata === null
        ? null
        : (JSON.parse(row.agent_metadata) as Record<string, unknown>),
    hidePhoneNumber: row.hide_phone_number === 1,
    tags: JSON.parse(row.tags) as string[],
    ...options,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
