import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallClaimError } from '../../src/telephony/CallClaimError.js';
import type { Call } from '../../src/telephony/types.js';
import { DIALECTS } from '../support/testServer.js';
import type { TelephonyTestServer } from './support.js';
import { hookUrl, postVoiceWebhook, refOf, startTelephonyServer, voiceFields } from './support.js';

// The domain API the media bridge uses (claimCall, markAnswered, touch, markEnded), the reaper,
// and the call records at /v2/sip/call. Claims live 0.5 s here instead of 90 s.

const CLAIM_TTL_SECS = 0.5;

describe.each(DIALECTS)('calls on %s', (dialect) => {
  let t: TelephonyTestServer;
  let url: string;
  let roomId: string;

  /** Answers a voice webhook; returns the stream ref and the call it created. */
  async function incoming(from = '+13125550100'): Promise<{ ref: string; call: Call }> {
    const fields = voiceFields(from, '+13125550199');
    const res = await postVoiceWebhook(url, fields);
    expect(res.status).toBe(200);
    const ref = refOf(res.body);
    const page = await t.server.telephony.calls.listCalls(
      { search: from },
      { number: 1, size: 100 },
    );
    const call = page.items.find((c) => c.providerCallId === fields.CallSid);
    if (call === undefined) {
      throw new Error('no call recorded');
    }
    return { ref, call };
  }

  async function claimFailure(ref: string): Promise<CallClaimError> {
    const error = await t.server.telephony.calls.claimCall(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallClaimError);
    return error as CallClaimError;
  }

  beforeAll(async () => {
    t = await startTelephonyServer(dialect, {
      PALAVER_CALL_CLAIM_TTL_SECS: String(CLAIM_TTL_SECS),
    });
    roomId = (await t.api('POST', '/v2/rooms', { unique_name: 'calls-room' })).body.data.id;
    const connector = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRoomId: 'calls-room',
    });
    url = hookUrl(t, connector.body.data.webhookUrl);
  });
  afterAll(async () => t.close());

  it('lets a ref claim its call once, then answers and ends it', async () => {
    const calls = t.server.telephony.calls;
    const { ref, call } = await incoming();
    const claimed = await calls.claimCall(ref);
    expect(claimed).toMatchObject({
      id: call.id,
      roomId,
      from: '+13125550100',
      to: '+13125550199',
      connectorId: call.connectorId,
      hidePhoneNumber: false,
      status: 'incoming',
      claimedAt: expect.any(String),
    });

    const reused = await claimFailure(ref);
    expect(reused.reason).toBe('used');
    expect(reused.callId).toBe(call.id);

    const answered = await calls.markAnswered(call.id, {
      sessionId: 'session-1',
      participantId: 'participant-1',
    });
    expect(answered).toMatchObject({
      status: 'answered',
      sessionId: 'session-1',
      participantId: 'participant-1',
    });
    await calls.touch(call.id);
    await new Promise((r) => setTimeout(r, 30));
    const ended = await calls.markEnded(call.id, 'caller-hangup');
    expect(ended).toMatchObject({ status: 'ended', hangupReason: 'caller-hangup' });
    expect(ended.durationMs).toBeGreaterThanOrEqual(30);
    // Ending again changes nothing.
    expect(await calls.markEnded(call.id, 'stream-closed')).toEqual(ended);

    const rest = await t.api('GET', `/v2/sip/call/${call.id}`);
    expect(rest.body).toEqual({
      message: 'Call fetched successfully',
      data: expect.objectContaining({
        id: call.id,
        status: 'ended',
        sessionId: 'session-1',
        participantId: 'participant-1',
        hangupReason: 'caller-hangup',
        start: call.startedAt,
        answeredAt: answered.answeredAt,
        end: ended.endedAt,
        duration: (ended.durationMs ?? 0) / 1000,
      }),
    });
  });

  it('lets exactly one of several simultaneous claims win', async () => {
    const { ref } = await incoming();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => t.server.telephony.calls.claimCall(ref)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect((r.reason as CallClaimError).reason).toBe('used');
      }
    }
  });

  it('refuses an unknown ref', async () => {
    expect((await claimFailure('A'.repeat(32))).reason).toBe('unknown');
    expect((await claimFailure('')).reason).toBe('unknown');
    expect((await claimFailure('x'.repeat(10_000))).reason).toBe('unknown');
  });

  it('refuses an expired ref and makes its call missed', async () => {
    const { ref, call } = await incoming('+13125550120');
    await new Promise((r) => setTimeout(r, CLAIM_TTL_SECS * 1000 + 100));
    const expired = await claimFailure(ref);
    expect(expired.reason).toBe('expired');
    const after = await t.server.telephony.calls.getCall(call.id);
    expect(after).toMatchObject({ status: 'missed', hangupReason: 'claim-expired' });
    // Still expired (not "used") when tried again.
    expect((await claimFailure(ref)).reason).toBe('expired');
  });

  it('has the reaper end calls whose claim expired and calls gone silent', async () => {
    const calls = t.server.telephony.calls;
    const { call: unclaimed } = await incoming('+13125550130');
    const { ref, call: silent } = await incoming('+13125550131');
    await calls.claimCall(ref);
    await calls.markAnswered(silent.id);
    // The bridge last reported ten minutes ago.
    await t.server.store.db
      .updateTable('telephony_calls')
      .set({ last_seen_at: new Date(Date.now() - 600_000).toISOString() })
      .where('id', '=', silent.id)
      .execute();
    await new Promise((r) => setTimeout(r, CLAIM_TTL_SECS * 1000 + 100));
    await calls.reap();
    expect(await calls.getCall(unclaimed.id)).toMatchObject({
      status: 'missed',
      hangupReason: 'claim-expired',
    });
    expect(await calls.getCall(silent.id)).toMatchObject({
      status: 'ended',
      hangupReason: 'stale',
    });
  });

  it('marks a call claimed but never joined as failed when it ends', async () => {
    const calls = t.server.telephony.calls;
    const { ref, call } = await incoming('+13125550140');
    await calls.claimCall(ref);
    expect(await calls.markEnded(call.id, 'bridge-error')).toMatchObject({
      status: 'failed',
      hangupReason: 'bridge-error',
      durationMs: 0,
    });
  });

  it('ends a call on POST /v2/sip/call/end and tells the bridge', async () => {
    const calls = t.server.telephony.calls;
    const { ref, call } = await incoming('+13125550150');
    await calls.claimCall(ref);
    await calls.markAnswered(call.id);
    const requested: Call[] = [];
    calls.on('callEndRequested', (c) => requested.push(c));
    const res = await t.api('POST', '/v2/sip/call/end', { callId: call.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      message: 'Call ended successfully',
      data: { id: call.id, status: 'ended', hangupReason: 'api-request' },
    });
    expect(requested.map((c) => c.id)).toEqual([call.id]);

    const again = await t.api('POST', '/v2/sip/call/end', { callId: call.id });
    expect(again.status).toBe(200);
    expect(requested).toHaveLength(1);

    const unknown = await t.api('POST', '/v2/sip/call/end', { callId: 'call_nope' });
    expect(unknown.status).toBe(404);
    const bad = await t.api('POST', '/v2/sip/call/end', {});
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('callId is required');
  });

  it('lists calls filtered by room and status, with pageInfo', async () => {
    for (let i = 0; i < 3; i++) {
      await incoming(`+1312555016${i}`);
    }
    // Claims live 0.5 s here, so some may be missed already.
    const page = await t.api(
      'GET',
      `/v2/sip/call?roomId=${roomId}&status=incoming,missed&perPage=2`,
    );
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.pageInfo).toMatchObject({ currentPage: 1, perPage: 2 });
    expect(page.body.pageInfo.total).toBeGreaterThanOrEqual(3);
    expect(
      page.body.data.every(
        (c: any) => ['incoming', 'missed'].includes(c.status) && c.roomId === roomId,
      ),
    ).toBe(true);
    const several = await t.api('GET', '/v2/sip/call?status=ended,failed');
    expect(several.body.data.every((c: any) => c.status === 'ended' || c.status === 'failed')).toBe(
      true,
    );
    const none = await t.api('GET', '/v2/sip/call?roomId=elsewhere');
    expect(none.body).toEqual({
      data: [],
      pageInfo: { currentPage: 1, perPage: 20, lastPage: 1, total: 0 },
    });
    const since = await t.api('GET', `/v2/sip/call?startDate=${Date.now() + 60_000}`);
    expect(since.body.data).toEqual([]);
    const badStatus = await t.api('GET', '/v2/sip/call?status=ringing');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.message).toMatch(/status "ringing" is not one of/);
    expect((await t.api('GET', '/v2/sip/call/call_nope')).status).toBe(404);
  });
});
