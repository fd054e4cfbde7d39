import type { Logger } from 'pino';
import { ConflictError } from '../errors.js';
import type { RoomService } from '../rooms/RoomService.js';
import type { Store } from '../store/Store.js';
import { randomSuffix } from './ids.js';
import { findRoomByIdOrName } from './roomLookup.js';
import type { RoutingRuleService } from './RoutingRuleService.js';
import type { Connector, RoomPrefix, RoutingRule } from './types.js';

/** Which setting decided a call's room. */
export type RouteSource = 'roomIdParameter' | 'numberRule' | 'defaultRule' | 'defaultRoom';

export type RouteDecision =
  | {
      kind: 'room';
      roomId: string;
      source: RouteSource;
      rule: RoutingRule | null;
      /** True when the rule's dynamic room was created for this call. */
      createdRoom: boolean;
    }
  | {
      kind: 'none';
      /** The setting that applied but named no live room; null when nothing applied. */
      source: RouteSource | null;
      rule: RoutingRule | null;
      detail: string;
    };

export interface CallRouterOptions {
  store: Store;
  rooms: RoomService;
  rules: RoutingRuleService;
  logger?: Logger | undefined;
}

/**
 * Decides the room of an inbound call. The first of these that is set decides: `?roomId=` on the
 * webhook URL, the inbound rule holding the called number, the connector's `defaultRuleId`, the
 * connector's `defaultRoomId`. A setting that names a room that no longer exists gives no room
 * rather than falling through, so a caller never lands somewhere unintended.
 */
export class CallRouter {
  readonly #store: Store;
  readonly #rooms: RoomService;
  readonly #rules: RoutingRuleService;
  readonly #logger: Logger | undefined;

  constructor(options: CallRouterOptions) {
    this.#store = options.store;
    this.#rooms = options.rooms;
    this.#rules = options.rules;
    this.#logger = options.logger;
  }

  async route(
    connector: Connector,
    call: { from: string; to: string; roomIdParameter: string | undefined },
  ): Promise<RouteDecision> {
    if (call.roomIdParameter !== undefined && call.roomIdParameter !== '') {
      return this.#toRoom(call.roomIdParameter, 'roomIdParameter', null);
    }
    const numberRule = await this.#rules.findInboundByNumber(normalizeNumber(call.to));
    if (numberRule !== undefined) {
      return this.#byRule(numberRule, 'numberRule', call);
    }
    if (connector.defaultRuleId !== null) {
      const defaultRule = await this.#rules.find(connector.defaultRuleId);
      if (defaultRule !== undefined) {
        return this.#byRule(defaultRule, 'defaultRule', call);
      }
      // A deleted rule is as good as unset; the default room may still apply.
      this.#logger?.warn(
        { connectorId: connector.id, ruleId: connector.defaultRuleId },
        'the connector names a routing rule that no longer exists',
      );
    }
    if (connector.defaultRoomId !== null) {
      return this.#toRoom(connector.defaultRoomId, 'defaultRoom', null);
    }
    return {
      kind: 'none',
      source: null,
      rule: null,
      detail: 'no roomId parameter, no rule for the called number, no default rule or room',
    };
  }

  async #byRule(
    rule: RoutingRule,
    source: RouteSource,
    call: { from: string; to: string },
  ): Promise<RouteDecision> {
    if (rule.room.type === 'static') {
      return this.#toRoom(rule.room.id, source, rule);
    }
    const roomId = await this.#createRoom(rule.room.prefix, call);
    return { kind: 'room', roomId, source, rule, createdRoom: true };
  }

  async #toRoom(
    ref: string,
    source: RouteSource,
    rule: RoutingRule | null,
  ): Promise<RouteDecision> {
    const room = await findRoomByIdOrName(this.#store, ref);
    if (room === undefined) {
      return {
        kind: 'none',
        source,
        rule,
        detail: `${source} names "${ref}", which is neither the id nor the unique_name of a room`,
      };
    }
    return { kind: 'room', roomId: room.id, source, rule, createdRoom: false };
  }

  /** A new room for one call, its unique_name made from the rule's prefix strategy. */
  async #createRoom(prefix: RoomPrefix, call: { from: string; to: string }): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const uniqueName = dynamicRoomName(prefix, call);
      try {
        const view = await this.#rooms.createRoom({ uniqueName });
        return view.room.id;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 4) {
          throw error;
        }
      }
    }
  }
}

/**
 * The unique_name of a dynamic room: `<caller>-<random>` for `participantNumber`,
 * `<called number>-<random>` for `sipNumber`, `<random>-<random>` for `random` and `<random>` for
 * `blank`.
 */
export function dynamicRoomName(prefix: RoomPrefix, call: { from: string; to: string }): string {
  const suffix = randomSuffix(8);
  switch (prefix) {
    case 'participantNumber':
      return `${nameSafe(call.from)}-${suffix}`;
    case 'sipNumber':
      return `${nameSafe(call.to)}-${suffix}`;
    case 'random':
      return `${randomSuffix(6)}-${suffix}`;
    case 'blank':
      return randomSuffix(12);
  }
}

function nameSafe(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9+._-]/g, '').slice(0, 64);
  return safe === '' ? 'unknown' : safe;
}

/**
 * The E.164 form of a number as Telnyx sends it (`+13125550100`, or a `sip:`/`tel:` URI), for
 * matching rules; anything else is returned trimmed.
 */
export function normalizeNumber(text: string): string {
  let value = text.trim();
  const uri = /^(?:sips?|tel):([^@;]+)/i.exec(value);
  if (uri !== null) {
    value = uri[1] ?? value;
  }
  const compact = value.replace(/[\s().-]/g, '');
  return /^\+?\d+$/.test(compact) ? compact : value;
}
