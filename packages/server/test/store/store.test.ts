import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../../src/auth/ApiKeyService.js';
import { Store } from '../../src/store/Store.js';
import { ClientTokenIssuer } from '../../src/tokens/ClientTokenIssuer.js';
import { SigningKeySet } from '../../src/tokens/SigningKeySet.js';
import { TokenVerifier } from '../../src/tokens/TokenVerifier.js';
import { DIALECTS, freshDatabase } from '../support/testServer.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

async function reopenable(dialect: (typeof DIALECTS)[number]) {
  const db = await freshDatabase(dialect);
  cleanups.push(() => db.cleanup());
  return async () => {
    const store = await Store.open({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    cleanups.push(() => store.close());
    return store;
  };
}

describe.each(DIALECTS)('Store on %s', (dialect) => {
  it('applies migrations once and opens an existing database again', async () => {
    const open = await reopenable(dialect);
    const first = await open();
    expect(first.dialect).toBe(dialect);
    await first.ping();
    await first.close();
    await first.close();
    expect(() => first.db).toThrow(/closed/);
    const second = await open();
    await second.ping();
  });

  it('keeps the token signing key, so tokens survive a restart', async () => {
    const open = await reopenable(dialect);
    const first = await open();
    const keys = await SigningKeySet.load(first);
    const { token } = new ClientTokenIssuer(keys).sign(
      'access',
      '9e2a0cbe-ce66-411e-a1ac-468f0b103c9a',
      'k',
      60,
    );
    await first.close();

    const second = await open();
    const reloaded = await SigningKeySet.load(second);
    expect(reloaded.current.kid).toBe(keys.current.kid);
    await expect(
      new TokenVerifier(reloaded).verify(token, { type: 'access' }),
    ).resolves.toMatchObject({ roomId: '9e2a0cbe-ce66-411e-a1ac-468f0b103c9a' });
  });

  it('stores API keys hashed and replaces an earlier PALAVER_API_KEY', async () => {
    const store = await (await reopenable(dialect))();
    const keys = new ApiKeyService(store, { cacheMs: 0 });
    expect(await keys.ensureFirstKey()).toBeDefined();
    expect(await keys.ensureFirstKey()).toBeUndefined();

    await keys.ensureConfiguredKey('first-configured-secret');
    await keys.ensureConfiguredKey('first-configured-secret');
    expect(await keys.authenticate('first-configured-secret')).toMatchObject({
      keyName: 'PALAVER_API_KEY',
    });
    await keys.ensureConfiguredKey('second-configured-secret');
    expect(await keys.authenticate('first-configured-secret')).toBeUndefined();
    expect(await keys.authenticate('second-configured-secret')).toBeDefined();
    await keys.ensureConfiguredKey('first-configured-secret');
    expect(await keys.authenticate('first-configured-secret')).toBeDefined();

    const rows = await store.db.selectFrom('api_keys').selectAll().execute();
    for (const row of rows) {
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain('configured-secret');
    }
    const created = await keys.create('ops');
    expect(await keys.revoke(created.id)).toBe(1);
    expect(await keys.authenticate(created.secret)).toBeUndefined();
    expect(await keys.revoke(created.id)).toBe(0);
  });
});
