import { NotFoundError, ValidationError } from '../errors.js';
import type { Page, PageRequest } from '../store/listQuery.js';
import { RoutingRuleRepository } from '../store/RoutingRuleRepository.js';
import type { SipRoutingRuleTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/Store.js';
import type { Store } from '../store/Store.js';
import { newRuleId } from './ids.js';
import { findRoomByIdOrName } from './roomLookup.js';
import type {
  RoutingRule,
  RoutingRuleFilter,
  RoutingRuleInput,
  RuleOptions,
  RuleRoom,
  RuleType,
} from './types.js';
import { INCLUDE_HEADERS, ROOM_PREFIXES, RULE_TYPES } from './types.js';

/** E.164: a plus, a non-zero digit, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;

export interface RoutingRuleServiceOptions {
  store: Store;
  now?: () => number;
}

/**
 * SIP routing rules in VideoSDK's shape. Inbound rules decide which room a call to one of their
 * numbers joins; a number belongs to at most one inbound rule.
 */
export class RoutingRuleService {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(options: RoutingRuleServiceOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
  }

  async create(input: RoutingRuleInput): Promise<RoutingRule> {
    if (input.name === undefined) {
      throw new ValidationError('name is required', { source: { pointer: '/name' } });
    }
    if (input.type === undefined) {
      throw new ValidationError(`type is required: one of ${RULE_TYPES.join(', ')}`, {
        source: { pointer: '/type' },
      });
    }
    const now = this.#iso();
    const rule: RoutingRule = {
      id: newRuleId(),
      name: '',
      type: oneOf(input.type, RULE_TYPES, 'type'),
      numbers: [],
      room: { type: 'dynamic', prefix: 'blank' },
      agentId: null,
      agentMetadata: null,
      hidePhoneNumber: false,
      tags: [],
      createdAt: now,
      updatedAt: now,
    };
    const checked = await this.#merge(rule, input);
    await this.#write(checked, (row, numbers) =>
      this.#repository()
        .insert(row, numbers)
        .then(() => true),
    );
    return this.get(checked.id);
  }

  async list(filter: RoutingRuleFilter, page: PageRequest): Promise<Page<RoutingRule>> {
    return this.#repository().list(filter, page);
  }

  async get(id: string): Promise<RoutingRule> {
    const rule = await this.#repository().find(id);
    if (rule === undefined) {
      throw new NotFoundError('routing rule', id);
    }
    return rule;
  }

  async update(id: string, input: RoutingRuleInput): Promise<RoutingRule> {
    const current = await this.get(id);
    if (input.type !== undefined && input.type !== current.type) {
      oneOf(input.type, RULE_TYPES, 'type');
      throw new ValidationError(`type cannot change (the rule is ${current.type})`, {
        source: { pointer: '/type' },
      });
    }
    const checked = await this.#merge({ ...current, updatedAt: this.#iso() }, input);
    const replaced = await this.#write(checked, (row, numbers) =>
      this.#repository().replace(row, numbers),
    );
    if (!replaced) {
      throw new NotFoundError('routing rule', id);
    }
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#repository().delete(id))) {
      throw new NotFoundError('routing rule', id);
    }
  }

  /** The inbound rule for a called number, if any. */
  async findInboundByNumber(number: string): Promise<RoutingRule | undefined> {
    return this.#repository().findInboundByNumber(number);
  }

  /** A rule by id, or undefined. */
  async find(id: string): Promise<RoutingRule | undefined> {
    return this.#repository().find(id);
  }

  /** Applies `input` to `rule` and checks the result. */
  async #merge(rule: RoutingRule, input: RoutingRuleInput): Promise<RoutingRule> {
    const next: RoutingRule = { ...rule };
    if (input.name !== undefined) {
      if (input.name.trim() === '') {
        throw new ValidationError('name must not be blank', { source: { pointer: '/name' } });
      }
      next.name = input.name;
    }
    if (input.numbers !== undefined) {
      next.numbers = [...new Set(input.numbers.map((n) => n.trim()))];
      next.numbers.forEach((number, index) => {
        if (!E164.test(number)) {
          throw new ValidationError(
            `phoneNumbers[${index}] "${number}" is not an E.164 number (like +14155550100)`,
            { source: { pointer: `/phoneNumbers/${index}` } },
          );
        }
      });
    }
    if (input.room !== undefined) {
      next.room = await this.#room(input.room);
    }
    if (input.agentId !== undefined) {
      next.agentId = input.agentId;
    }
    if (input.agentMetadata !== undefined) {
      next.agentMetadata = input.agentMetadata;
    }
    if (input.hidePhoneNumber !== undefined) {
      next.hidePhoneNumber = input.hidePhoneNumber;
    }
    if (input.tags !== undefined) {
      next.tags = input.tags;
    }
    for (const key of OPTION_KEYS) {
      if (key !== 'includeHeaders' && input[key] !== undefined) {
        (next as unknown as Record<string, unknown>)[key] = input[key];
      }
    }
    if (input.includeHeaders !== undefined) {
      next.includeHeaders = oneOf(input.includeHeaders, INCLUDE_HEADERS, 'includeHeaders');
    }
    if (next.headers !== undefined && next.type !== 'outbound') {
      throw new ValidationError('headers are for outbound rules only', {
        source: { pointer: '/headers' },
      });
    }
    if (next.headersToAttributes !== undefined && next.type !== 'inbound') {
      throw new ValidationError('headersToAttributes is for inbound rules only', {
        source: { pointer: '/headersToAttributes' },
      });
    }
    if (next.type === 'inbound') {
      for (const number of next.numbers) {
        const owner = await this.#repository().ownerOfNumber(number, next.id);
        if (owner !== undefined) {
          throw numberTaken(number, owner);
        }
      }
    }
    return next;
  }

  async #room(input: NonNullable<RoutingRuleInput['room']>): Promise<RuleRoom> {
    const type = oneOf(
      input.type ?? (input.id !== undefined ? 'static' : 'dynamic'),
      ['static', 'dynamic'] as const,
      'room.type',
    );
    if (type === 'dynamic') {
      return {
        type,
        prefix: oneOf(input.prefix ?? 'blank', ROOM_PREFIXES, 'room.prefix'),
        ...(input.pin !== undefined && { pin: input.pin }),
      };
    }
    if (input.id === undefined || input.id.trim() === '') {
      throw new ValidationError('room.id is required for a static room', {
        source: { pointer: '/room/id' },
      });
    }
    if ((await findRoomByIdOrName(this.#store, input.id)) === undefined) {
      throw new ValidationError(
        `room.id "${input.id}" is neither the id nor the unique_name of a room`,
        { source: { pointer: '/room/id' } },
      );
    }
    return { type, id: input.id, ...(input.pin !== undefined && { pin: input.pin }) };
  }

  /** Writes the rule; a number claimed concurrently by another rule becomes a 400. */
  async #write(
    rule: RoutingRule,
    write: (row: SipRoutingRuleTable, numbers: string[]) => Promise<boolean>,
  ): Promise<boolean> {
    const options: RuleOptions = {};
    for (const key of OPTION_KEYS) {
      if (rule[key] !== undefined) {
        (options as Record<string, unknown>)[key] = rule[key];
      }
    }
    const row: SipRoutingRuleTable = {
      id: rule.id,
      name: rule.name,
      type: rule.type satisfies RuleType,
      numbers: JSON.stringify(rule.numbers),
      room_type: rule.room.type,
      room_prefix: rule.room.type === 'dynamic' ? rule.room.prefix : null,
      room_id: rule.room.type === 'static' ? rule.room.id : null,
      room_pin: rule.room.pin ?? null,
      agent_id: rule.agentId,
      agent_metadata: rule.agentMetadata === null ? null : JSON.stringify(rule.agentMetadata),
      hide_phone_number: rule.hidePhoneNumber ? 1 : 0,
      tags: JSON.stringify(rule.tags),
      options: JSON.stringify(options),
      created_at: rule.createdAt,
      updated_at: rule.updatedAt,
    };
    try {
      return await write(row, rule.type === 'inbound' ? rule.numbers : []);
    } catch (error) {
      if (isUniqueViolation(error)) {
        for (const number of rule.numbers) {
          const owner = await this.#repository().ownerOfNumber(number, rule.id);
          if (owner !== undefined) {
            throw numberTaken(number, owner);
          }
        }
      }
      throw error;
    }
  }

  #repository(): RoutingRuleRepository {
    return new RoutingRuleRepository(this.#store.db);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

const OPTION_KEYS = [
  'includeHeaders',
  'headers',
  'headersToAttributes',
  'allowedNumbers',
  'allowedIpAddresses',
  'recording',
  'dtmf',
  'noiseCancellation',
] as const satisfies readonly (keyof RuleOptions)[];

/** `value` when it is one of `allowed`; otherwise a 400 naming the allowed values. */
function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(`${field} "${value}" is not one of ${allowed.join(', ')}`, {
      source: { pointer: `/${field.replace('.', '/')}` },
    });
  }
  return value as T;
}

function numberTaken(number: string, owner: string): ValidationError {
  return new ValidationError(
    `phone number ${number} is already in inbound routing rule ${owner}; a number can be in one inbound rule only`,
    { source: { pointer: '/phoneNumbers' } },
  );
}
