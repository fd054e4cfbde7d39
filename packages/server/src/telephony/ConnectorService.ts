import { NotFoundError, ValidationError } from '../errors.js';
import type { ConnectorRow } from '../store/ConnectorRepository.js';
import { ConnectorRepository } from '../store/ConnectorRepository.js';
import { RoutingRuleRepository } from '../store/RoutingRuleRepository.js';
import type { TelephonyConnectorTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/Store.js';
import type { Store } from '../store/Store.js';
import { newConnectorId, newWebhookKey } from './ids.js';
import type { RegionTable } from './RegionTable.js';
import { findRoomByIdOrName } from './roomLookup.js';
import { parseTelnyxPublicKey } from './telnyxSignature.js';
import type { Connector, ConnectorProvider, ConnectorSettings } from './types.js';
import { CONNECTOR_PROVIDERS } from './types.js';

/** The path under the public URL where a connector's voice webhook lives. */
export const CONNECTOR_HOOK_PATH = '/v2/hooks/telnyx/';

/** The form of every webhook key Palaver issues; anything else is not looked up. */
const WEBHOOK_KEY = /^whk_[A-Za-z0-9]{16,64}$/;

export interface ConnectorServiceOptions {
  store: Store;
  regions: RegionTable;
  /** This server's public base URL, for `webhookUrl`. */
  publicUrl: () => string;
  now?: () => number;
}

/** A connector as the webhook handler needs it, with its secrets. */
export interface ConnectorWithSecrets {
  connector: Connector;
  /** The raw Ed25519 key (base64) Telnyx signs with; null: no check. */
  telnyxPublicKey: string | null;
  telnyxApiKey: string | null;
}

/**
 * Telephony connectors: each owns a secret webhook URL that Telnyx's TeXML application posts its
 * voice webhook to, and the defaults that route its calls.
 */
export class ConnectorService {
  readonly #store: Store;
  readonly #regions: RegionTable;
  readonly #publicUrl: () => string;
  readonly #now: () => number;

  constructor(options: ConnectorServiceOptions) {
    this.#store = options.store;
    this.#regions = options.regions;
    this.#publicUrl = options.publicUrl;
    this.#now = options.now ?? Date.now;
  }

  async create(provider: string, settings: ConnectorSettings): Promise<Connector> {
    const checkedProvider = checkProvider(provider);
    const values = await this.#checkSettings(settings);
    const now = this.#iso();
    const id = newConnectorId();
    await this.#insertWithFreshKey({
      id,
      provider: checkedProvider,
      name: values.name ?? null,
      default_room_id: values.default_room_id ?? null,
      default_rule_id: values.default_rule_id ?? null,
      region: values.region ?? null,
      telnyx_public_key: values.telnyx_public_key ?? null,
      telnyx_api_key: values.telnyx_api_key ?? null,
      created_at: now,
      updated_at: now,
    });
    return this.get(id);
  }

  async list(): Promise<Connector[]> {
    const rows = await this.#repository().list();
    return rows.map((row) => this.#present(row));
  }

  async get(id: string): Promise<Connector> {
    return this.#present(await this.#row(id));
  }

  async update(id: string, settings: ConnectorSettings): Promise<Connector> {
    const values = await this.#checkSettings(settings);
    if (!(await this.#repository().update(id, { ...values, updated_at: this.#iso() }))) {
      throw new NotFoundError('connector', id);
    }
    return this.get(id);
  }

  /** Gives the connector a new webhook key; the old URL stops working at once. */
  async rotateKey(id: string): Promise<Connector> {
    for (let attempt = 0; ; attempt++) {
      try {
        const updated = await this.#repository().update(id, {
          webhook_key: newWebhookKey(),
          updated_at: this.#iso(),
        });
        if (!updated) {
          throw new NotFoundError('connector', id);
        }
        return this.get(id);
      } catch (error) {
        // A 190-bit collision will not happen; the retry only keeps the code honest.
        if (!isUniqueViolation(error) || attempt >= 2) {
          throw error;
        }
      }
    }
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#repository().delete(id))) {
      throw new NotFoundError('connector', id);
    }
  }

  /** The connector a voice webhook's key belongs to, if any. */
  async findByWebhookKey(key: string): Promise<ConnectorWithSecrets | undefined> {
    if (!WEBHOOK_KEY.test(key)) {
      return undefined;
    }
    const row = await this.#repository().findByWebhookKey(key);
    return row === undefined
      ? undefined
      : {
          connector: this.#present(row),
          telnyxPublicKey: row.telnyx_public_key,
          telnyxApiKey: row.telnyx_api_key,
        };
  }

  /** The connector's Telnyx API key, for hanging calls up through Call Control. */
  async telnyxApiKey(id: string): Promise<string | null> {
    return (await this.#row(id)).telnyx_api_key;
  }

  async #insertWithFreshKey(row: Omit<TelephonyConnectorTable, 'webhook_key'>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#repository().insert({ ...row, webhook_key: newWebhookKey() });
        return;
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 2) {
          throw error;
        }
      }
    }
  }

  /** Checks settings against the rooms, rules and regions they name; returns the columns. */
  async #checkSettings(
    settings: ConnectorSettings,
  ): Promise<Partial<Omit<TelephonyConnectorTable, 'id' | 'provider' | 'webhook_key'>>> {
    const values: Partial<Omit<TelephonyConnectorTable, 'id' | 'provider' | 'webhook_key'>> = {};
    if (settings.name !== undefined) {
      values.name = settings.name;
    }
    if (settings.defaultRoomId !== undefined) {
      if (
        settings.defaultRoomId !== null &&
        (await findRoomByIdOrName(this.#store, settings.defaultRoomId)) === undefined
      ) {
        throw new ValidationError(
          `defaultRoomId "${settings.defaultRoomId}" is neither the id nor the unique_name of a room`,
          { source: { pointer: '/defaultRoomId' } },
        );
      }
      values.default_room_id = settings.defaultRoomId;
    }
    if (settings.defaultRuleId !== undefined) {
      if (
        settings.defaultRuleId !== null &&
        (await new RoutingRuleRepository(this.#store.db).find(settings.defaultRuleId)) === undefined
      ) {
        throw new ValidationError(
          `defaultRuleId "${settings.defaultRuleId}" is not a routing rule`,
          {
            source: { pointer: '/defaultRuleId' },
          },
        );
      }
      values.default_rule_id = settings.defaultRuleId;
    }
    if (settings.region !== undefined) {
      if (settings.region !== null) {
        this.#regions.validate(settings.region, 'region');
      }
      values.region = settings.region;
    }
    if (settings.telnyxPublicKey !== undefined) {
      values.telnyx_public_key =
        settings.telnyxPublicKey === null
          ? null
          : parseTelnyxPublicKey(settings.telnyxPublicKey, 'telnyxPublicKey').base64;
    }
    if (settings.telnyxApiKey !== undefined) {
      values.telnyx_api_key = settings.telnyxApiKey;
    }
    return values;
  }

  async #row(id: string): Promise<ConnectorRow> {
    const row = await this.#repository().find(id);
    if (row === undefined) {
      throw new NotFoundError('connector', id);
    }
    return row;
  }

  #present(row: ConnectorRow): Connector {
    return {
      id: row.id,
      provider: row.provider as ConnectorProvider,
      name: row.name,
      webhookUrl: `${this.#publicUrl()}${CONNECTOR_HOOK_PATH}${row.webhook_key}`,
      defaultRoomId: row.default_room_id,
      defaultRuleId: row.default_rule_id,
      region: row.region,
      telnyxPublicKey: row.telnyx_public_key,
      hasTelnyxApiKey: row.telnyx_api_key !== null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  #repository(): ConnectorRepository {
    return new ConnectorRepository(this.#store.db);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function checkProvider(provider: string): ConnectorProvider {
  if (!(CONNECTOR_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ValidationError(
      `provider "${provider}" is not supported; supported providers: ${CONNECTOR_PROVIDERS.join(', ')}`,
      { source: { pointer: '/provider' } },
    );
  }
  return provider as ConnectorProvider;
}
