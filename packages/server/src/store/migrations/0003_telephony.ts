import type { Kysely, Migration } from 'kysely';

/**
 * Telephony: connectors (the secret webhook URLs Telnyx calls), SIP routing rules and the numbers
 * they claim, call records, call-webhook subscriptions with their delivery outbox, and the RSA
 * key that signs call webhooks.
 */
export const telephony: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('telephony_connectors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('webhook_key', 'text', (c) => c.notNull().unique())
      .addColumn('default_room_id', 'text')
      .addColumn('default_rule_id', 'text')
      .addColumn('region', 'text')
      .addColumn('telnyx_public_key', 'text')
      .addColumn('telnyx_api_key', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('telephony_connectors_created_at')
      .on('telephony_connectors')
      .columns(['created_at', 'id'])
      .execute();

    await db.schema
      .createTable('sip_routing_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('numbers', 'text', (c) => c.notNull())
      .addColumn('room_type', 'text', (c) => c.notNull())
      .addColumn('room_prefix', 'text')
      .addColumn('room_id', 'text')
      .addColumn('room_pin', 'text')
      .addColumn('agent_id', 'text')
      .addColumn('agent_metadata', 'text')
      .addColumn('hide_phone_number', 'integer', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('sip_routing_rules_created_at')
      .on('sip_routing_rules')
      .columns(['created_at', 'id'])
      .execute();

    // The primary key makes "a number belongs to at most one inbound rule" hold under
    // concurrent writes, and is the index the voice webhook looks the called number up in.
    await db.schema
      .createTable('sip_routing_rule_numbers')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'text', (c) =>
        c.notNull().references('sip_routing_rules.id').onDelete('cascade'),
      )
      .execute();
    await db.schema
      .createIndex('sip_routing_rule_numbers_rule')
      .on('sip_routing_rule_numbers')
      .column('rule_id')
      .execute();

    await db.schema
      .createTable('telephony_calls')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('connector_id', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text')
      .addColumn('room_id', 'text')
      .addColumn('session_id', 'text')
      .addColumn('participant_id', 'text')
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('caller_name', 'text')
      .addColumn('hide_phone_number', 'integer', (c) => c.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('agent_metadata', 'text')
      .addColumn('region', 'text')
      .addColumn('ref_hash', 'text', (c) => c.unique())
      .addColumn('ref_expires_at', 'text')
      .addColumn('claimed_at', 'text')
      .addColumn('answered_at', 'text')
      .addColumn('ended_at', 'text')
      .addColumn('last_seen_at', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('hangup_reason', 'text')
      .addColumn('duration_ms', 'integer')
      .addColumn('provider_call_id', 'text')
      .addColumn('provider_account_id', 'text')
      .addColumn('provider_connection_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('telephony_calls_created_at')
      .on('telephony_calls')
      .columns(['created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('telephony_calls_room')
      .on('telephony_calls')
      .columns(['room_id', 'created_at'])
      .execute();
    // The reaper's question: which open calls are past their claim or silent for too long?
    await db.schema
      .createIndex('telephony_calls_open')
      .on('telephony_calls')
      .columns(['status', 'ref_expires_at'])
      .execute();
    await db.schema
      .createIndex('telephony_calls_provider_call')
      .on('telephony_calls')
      .columns(['connector_id', 'provider_call_id'])
      .execute();

    await db.schema
      .createTable('sip_webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('call_webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('webhook_id', 'text', (c) => c.notNull())
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('event_order', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('call_webhook_deliveries_due')
      .on('call_webhook_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('call_webhook_deliveries_call')
      .on('call_webhook_deliveries')
      .columns(['webhook_id', 'call_id', 'status', 'event_order'])
      .execute();

    // One row per key slot; the fixed slot id lets concurrent first starts agree on one key.
    await db.schema
      .createTable('telephony_signing_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('private_key', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};
