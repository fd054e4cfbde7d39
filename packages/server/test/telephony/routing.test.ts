import { parseTexml } from '@palaver/phone-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/testServer.js';
import type { TelephonyTestServer } from './support.js';
import { hookUrl, postVoiceWebhook, startTelephonyServer, voiceFields } from './support.js';

// Which room a call joins: ?roomId=, then the rule for the called number, then the connector's
// defaultRuleId, then its defaultRoomId; otherwise TeXML that says so and hangs up.

describe.each(DIALECTS)('call routing on %s', (dialect) => {
  let t: TelephonyTestServer;
  const rooms: Record<string, string> = {};

  async function room(name: string): Promise<string> {
    const id: string = (await t.api('POST', '/v2/rooms', { unique_name: name })).body.data.id;
    rooms[name] = id;
    return id;
  }

  async function connector(settings: Record<string, unknown>): Promise<string> {
    const res = await t.api('POST', '/v2/connectors', { provider: 'telnyx', ...settings });
    expect(res.status).toBe(201);
    return hookUrl(t, res.body.data.webhookUrl);
  }

  async function rule(body: Record<string, unknown>): Promise<any> {
    const res = await t.api('POST', '/v2/sip/routing-rule', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  /** Places a call and returns the call record it made. */
  async function call(
    url: string,
    from: string,
    to: string,
  ): Promise<{ texml: string; call: any }> {
    const fields = voiceFields(from, to);
    const res = await postVoiceWebhook(url, fields);
    expect(res.status).toBe(200);
    const listed = await t.api(
      'GET',
      `/v2/sip/call?search=${encodeURIComponent(from)}&perPage=100`,
    );
    return {
      texml: res.body,
      call: listed.body.data.find((c: any) => c.telnyx.callSid === fields.CallSid),
    };
  }

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
    await room('lobby');
    await room('sales');
    await room('support');
    await room('override');
  });
  afterAll(async () => t.close());

  it('resolves ?roomId= first, by room id or unique_name', async () => {
    const url = await connector({ defaultRoomId: 'lobby' });
    const byName = await call(`${url}?roomId=override`, '+13125550101', '+13125550199');
    expect(byName.call).toMatchObject({ roomId: rooms.override, status: 'incoming' });
    const byId = await call(`${url}?roomId=${rooms.sales}`, '+13125550102', '+13125550199');
    expect(byId.call.roomId).toBe(rooms.sales);
  });

  it('then the inbound rule holding the called number', async () => {
    const sales = await rule({
      name: 'Sales line',
      type: 'inbound',
      phoneNumbers: ['+14155550123'],
      room: { type: 'static', id: 'sales' },
      hidePhoneNumber: true,
      agentId: 'agent-7',
      agentMetadata: { team: 'east' },
    });
    const url = await connector({ defaultRoomId: 'lobby' });
    const { call: routed } = await call(url, '+13125550103', '+14155550123');
    expect(routed).toMatchObject({
      roomId: rooms.sales,
      ruleId: sales.id,
      hidePhoneNumber: true,
      agentId: 'agent-7',
      agentMetadata: { team: 'east' },
    });
    // A number the rule does not hold falls to the default room.
    const { call: other } = await call(url, '+13125550104', '+14155550999');
    expect(other).toMatchObject({ roomId: rooms.lobby, ruleId: null });
  });

  it("then the connector's defaultRuleId, before its defaultRoomId", async () => {
    const fallback = await rule({
      name: 'Fallback',
      type: 'inbound',
      room: { type: 'static', id: rooms.support },
    });
    const url = await connector({ defaultRuleId: fallback.id, defaultRoomId: 'lobby' });
    const { call: routed } = await call(url, '+13125550105', '+14155550777');
    expect(routed).toMatchObject({ roomId: rooms.support, ruleId: fallback.id });

    // Once the rule is deleted, the default room applies.
    expect((await t.api('DELETE', `/v2/sip/routing-rule/${fallback.id}`)).status).toBe(200);
    const { call: after } = await call(url, '+13125550106', '+14155550777');
    expect(after).toMatchObject({ roomId: rooms.lobby, ruleId: null });
  });

  it('creates a room per call for a dynamic rule, named by its prefix', async () => {
    const cases = [
      ['participantNumber', '+13125550107', /^\+13125550107-[a-z0-9]{8}$/],
      ['sipNumber', '+13125550108', /^\+14155550200-[a-z0-9]{8}$/],
      ['random', '+13125550109', /^[a-z0-9]{6}-[a-z0-9]{8}$/],
      ['blank', '+13125550110', /^[a-z0-9]{12}$/],
    ] as const;
    for (const [prefix, from, name] of cases) {
      const dynamic = await rule({
        name: `Dynamic ${prefix}`,
        type: 'inbound',
        room: { type: 'dynamic', prefix },
      });
      const url = await connector({ defaultRuleId: dynamic.id });
      const first = await call(url, from, '+14155550200');
      const second = await call(url, from, '+14155550200');
      expect(first.call.roomId).not.toBe(second.call.roomId);
      const created = await t.api('GET', `/v2/rooms/${first.call.roomId}`);
      expect(created.status).toBe(200);
      expect(created.body.data.unique_name).toMatch(name);
    }
  });

  it('answers TeXML that says no room was found and hangs up, and records a missed call', async () => {
    const url = await connector({});
    const { texml, call: missed } = await call(url, '+13125550111', '+14155550300');
    const document = parseTexml(texml);
    expect(document.warnings).toEqual([]);
    expect(document.verbs).toEqual([
      expect.objectContaining({ verb: 'Say', text: expect.stringMatching(/no room/) }),
      { verb: 'Hangup' },
    ]);
    expect(texml).not.toContain('<Stream');
    expect(missed).toMatchObject({
      status: 'missed',
      hangupReason: 'no-room',
      roomId: null,
      end: expect.any(String),
    });
  });

  it('does not fall through when a setting names a room that is gone', async () => {
    const doomed = (await t.api('POST', '/v2/rooms', { unique_name: 'doomed' })).body.data.id;
    const url = await connector({ defaultRoomId: 'lobby' });
    expect((await t.api('DELETE', `/v2/rooms/${doomed}`)).status).toBe(204);
    const { texml, call: missed } = await call(`${url}?roomId=${doomed}`, '+13125550112', '+1');
    expect(texml).toContain('<Hangup />');
    expect(missed).toMatchObject({ status: 'missed', hangupReason: 'no-room' });
  });
});

describe.each(DIALECTS)('routing rules API on %s', (dialect) => {
  let t: TelephonyTestServer;

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
    await t.api('POST', '/v2/rooms', { unique_name: 'rules-room' });
  });
  afterAll(async () => t.close());

  it('creates, gets, lists, updates and deletes rules in VideoSDK shapes', async () => {
    const created = await t.api('POST', '/v2/sip/routing-rule', {
      name: 'Main',
      type: 'inbound',
      phoneNumbers: ['+14155550001', '+14155550002'],
      room: { type: 'static', id: 'rules-room', pin: '1234' },
      tags: ['vip'],
      includeHeaders: 'SIP_X_HEADERS',
      headersToAttributes: { 'X-Account': 'account' },
      recording: false,
      apiKey: 'ignored',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^rule_[a-z0-9]{16}$/),
      name: 'Main',
      type: 'inbound',
      numbers: ['+14155550001', '+14155550002'],
      room: { type: 'static', id: 'rules-room', pin: '1234' },
      agentId: null,
      agentMetadata: null,
      hidePhoneNumber: false,
      tags: ['vip'],
      includeHeaders: 'SIP_X_HEADERS',
      headersToAttributes: { 'X-Account': 'account' },
      recording: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.body.id;
    expect((await t.api('GET', `/v2/sip/routing-rule/${id}`)).body).toEqual(created.body);

    const listed = await t.api('GET', '/v2/sip/routing-rule?search=5550002&type=inbound');
    expect(listed.body).toEqual({
      data: [created.body],
      pageInfo: { currentPage: 1, perPage: 20, lastPage: 1, total: 1 },
    });
    const byIds = await t.api(
      'GET',
      `/v2/sip/routing-rule?ruleIds=${id},rule_other&roomType=static`,
    );
    expect(byIds.body.data.map((r: any) => r.id)).toEqual([id]);

    const updated = await t.api('PATCH', `/v2/sip/routing-rule/${id}`, {
      phoneNumbers: ['+14155550003'],
      room: { type: 'dynamic', prefix: 'participantNumber' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'Main',
      numbers: ['+14155550003'],
      room: { type: 'dynamic', prefix: 'participantNumber' },
    });
    // The numbers it gave up are free again.
    const reuse = await t.api('POST', '/v2/sip/routing-rule', {
      name: 'Reuse',
      type: 'inbound',
      phoneNumbers: ['+14155550001'],
    });
    expect(reuse.status).toBe(201);

    expect(await t.api('DELETE', `/v2/sip/routing-rule/${id}`)).toMatchObject({
      status: 200,
      body: { message: 'Routing rule deleted successfully' },
    });
    expect((await t.api('GET', `/v2/sip/routing-rule/${id}`)).status).toBe(404);
  });

  it('refuses a number already in another inbound rule with 400', async () => {
    await t.api('POST', '/v2/sip/routing-rule', {
      name: 'Owner',
      type: 'inbound',
      phoneNumbers: ['+14155550500'],
    });
    const clash = await t.api('POST', '/v2/sip/routing-rule', {
      name: 'Clash',
      type: 'inbound',
      phoneNumbers: ['+14155550501', '+14155550500'],
    });
    expect(clash.status).toBe(400);
    expect(clash.body.message).toMatch(/\+14155550500 is already in inbound routing rule rule_/);
    // An outbound rule may list it.
    const outbound = await t.api('POST', '/v2/sip/routing-rule', {
      name: 'Out',
      type: 'outbound',
      phoneNumbers: ['+14155550500'],
      headers: { 'X-Trace': '1' },
    });
    expect(outbound.status).toBe(201);
  });

  it.each([
    [{ type: 'inbound' }, /name is required/],
    [{ name: 'x' }, /type is required/],
    [{ name: 'x', type: 'sideways' }, /type "sideways" is not one of inbound, outbound/],
    [{ name: 'x', type: 'inbound', phoneNumbers: ['4155550100'] }, /not an E.164 number/],
    [{ name: 'x', type: 'inbound', room: { type: 'static' } }, /room.id is required/],
    [{ name: 'x', type: 'inbound', room: { type: 'static', id: 'nope' } }, /room.id "nope"/],
    [{ name: 'x', type: 'inbound', room: { type: 'dynamic', prefix: 'odd' } }, /room.prefix "odd"/],
    [{ name: 'x', type: 'inbound', headers: { a: 'b' } }, /headers are for outbound rules only/],
    [{ name: 'x', type: 'outbound', headersToAttributes: { a: 'b' } }, /for inbound rules only/],
    [{ name: 'x', type: 'inbound', colour: 'red' }, /colour is not a known field/],
  ])('refuses %j with 400', async (body, message) => {
    const res = await t.api('POST', '/v2/sip/routing-rule', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('keeps the direction of a rule', async () => {
    const created = await t.api('POST', '/v2/sip/routing-rule', { name: 'Dir', type: 'inbound' });
    const res = await t.api('PATCH', `/v2/sip/routing-rule/${created.body.id}`, {
      type: 'outbound',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/type cannot change/);
  });
});
