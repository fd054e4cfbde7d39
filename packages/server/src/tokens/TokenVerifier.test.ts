import { SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { ClientTokenIssuer } from './ClientTokenIssuer.js';
import { SigningKeySet } from './SigningKeySet.js';
import { TokenVerifier } from './TokenVerifier.js';

const ROOM = '9e2a0cbe-ce66-411e-a1ac-468f0b103c9a';
const OTHER_ROOM = '1b2a0cbe-ce66-411e-a1ac-468f0b103c9a';

describe('ClientTokenIssuer and TokenVerifier', () => {
  let keys: SigningKeySet;
  let now: number;
  let issuer: ClientTokenIssuer;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    keys = await SigningKeySet.ephemeral();
    now = Date.parse('2026-06-01T12:00:00Z');
    issuer = new ClientTokenIssuer(keys, { now: () => now });
    verifier = new TokenVerifier(keys, { now: () => now });
  });

  it('signs Telnyx-shaped claims and verifies them back to a grant', async () => {
    const { token, expiresAt } = issuer.sign('access', ROOM, 'key-1', 600);
    expect(expiresAt).toBe('2026-06-01T12:10:00.000Z');
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toEqual({
      iss: 'telnyx_access_token',
      aud: 'telnyx_access_token',
      sub: 'null',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: now / 1000,
      nbf: now / 1000 - 1,
      exp: now / 1000 + 600,
      typ: 'access',
      grants_version: '1.0.0',
      grants: [
        {
          actions: ['join'],
          resources: [`telnyx:video:rooms:${ROOM}`],
          subjects: ['telnyx:users:key-1'],
        },
      ],
    });
    const grant = await verifier.verify(token, { type: 'access', roomId: ROOM });
    expect(grant).toEqual({
      tokenId: payload.jti,
      type: 'access',
      roomId: ROOM,
      subject: 'telnyx:users:key-1',
      expiresAt: now + 600_000,
    });
  });

  it('refuses a token past its expiry, also when it was verified before', async () => {
    let clock = now;
    const v = new TokenVerifier(keys, { now: () => clock });
    const { token } = issuer.sign('access', ROOM, 'k', 10);
    await expect(v.verify(token, { type: 'access' })).resolves.toBeDefined();
    clock = now + 10_000;
    await expect(v.verify(token, { type: 'access' })).rejects.toMatchObject({
      code: ErrorCode.TokenExpired,
    });
    const fresh = new TokenVerifier(keys, { now: () => now + 11_000 });
    await expect(fresh.verify(token, { type: 'access' })).rejects.toMatchObject({
      code: ErrorCode.TokenExpired,
    });
  });

  it('refuses the wrong kind of token and a token for another room', async () => {
    const access = issuer.sign('access', ROOM, 'k', 60).token;
    const refresh = issuer.sign('refresh', ROOM, 'k', 60).token;
    await expect(verifier.verify(access, { type: 'refresh' })).rejects.toMatchObject({
      code: ErrorCode.TokenWrongType,
    });
    await expect(verifier.verify(refresh, { type: 'access' })).rejects.toMatchObject({
      code: ErrorCode.TokenWrongType,
    });
    await expect(
      verifier.verify(access, { type: 'access', roomId: OTHER_ROOM }),
    ).rejects.toMatchObject({ code: ErrorCode.TokenNotForRoom });
  });

  it('refuses tampered tokens, foreign keys and garbage', async () => {
    const { token } = issuer.sign('access', ROOM, 'k', 60);
    const [h, p, s] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(p ?? '', 'base64url').toString()),
        grants: [
          { actions: ['join'], resources: [`telnyx:video:rooms:${OTHER_ROOM}`], subjects: [] },
        ],
      }),
    ).toString('base64url');
    for (const bad of [
      `${h}.${forgedPayload}.${s}`,
      `${h}.${p}.${(s ?? '').slice(0, -2)}xx`,
      'abc',
      '',
    ]) {
      await expect(verifier.verify(bad, { type: 'access' })).rejects.toMatchObject({
        code: ErrorCode.TokenInvalid,
      });
    }
    const other = await SigningKeySet.ephemeral();
    const foreign = new ClientTokenIssuer(other).sign('access', ROOM, 'k', 60).token;
    await expect(verifier.verify(foreign, { type: 'access' })).rejects.toMatchObject({
      code: ErrorCode.TokenInvalid,
    });
  });

  it('refuses a token signed with our key id by another key, or without a join grant', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const kid = keys.current.kid;
    const impostor = await new SignJWT({ typ: 'access', grants: [] })
      .setProtectedHeader({ alg: 'Ed25519', kid })
      .setIssuer('telnyx_access_token')
      .setAudience('telnyx_access_token')
      .setJti('x')
      .setExpirationTime(now / 1000 + 60)
      .sign(privateKey);
    await expect(verifier.verify(impostor, { type: 'access' })).rejects.toMatchObject({
      code: ErrorCode.TokenInvalid,
    });
    const noGrant = await new SignJWT({ typ: 'access', grants: [] })
      .setProtectedHeader({ alg: 'Ed25519', kid })
      .setIssuer('telnyx_access_token')
      .setAudience('telnyx_access_token')
      .setJti('y')
      .setIssuedAt(now / 1000)
      .setExpirationTime(now / 1000 + 60)
      .sign(keys.current.privateKey);
    await expect(verifier.verify(noGrant, { type: 'access' })).rejects.toThrow(/no join grant/);
  });

  it('keeps at most cacheSize verified tokens and still verifies evicted ones', async () => {
    const small = new TokenVerifier(keys, { now: () => now, cacheSize: 2 });
    const tokens = [1, 2, 3].map(() => issuer.sign('access', ROOM, 'k', 60));
    for (const { token } of tokens) {
      await small.verify(token, { type: 'access' });
    }
    await expect(small.verify(tokens[0]?.token ?? '', { type: 'access' })).resolves.toMatchObject({
      roomId: ROOM,
    });
  });

  it('publishes only public keys in the JWKS', () => {
    const jwks = keys.jwks();
    expect(jwks.keys).toEqual([
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: expect.any(String),
        kid: keys.current.kid,
        alg: 'Ed25519',
        use: 'sig',
      },
    ]);
  });
});
