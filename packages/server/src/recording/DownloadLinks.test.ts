import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DownloadLinks } from './DownloadLinks.js';

const { privateKey } = generateKeyPairSync('ed25519');
const ed25519 = (timestamp: number, text: string) =>
  sign(null, Buffer.from(`${timestamp}|${text}`), privateKey).toString('base64');

function queryOf(path: string): { expires: number; signature: string } {
  const url = new URL(path, 'http://palaver.test');
  return {
    expires: Number(url.searchParams.get('expires')),
    signature: url.searchParams.get('signature') ?? '',
  };
}

describe('DownloadLinks', () => {
  const id = '7b61621f-62e0-4aad-ab11-9fd19e272e73';

  it('signs a link that verifies for its file until it expires', () => {
    let now = Date.parse('2026-11-21T10:00:00Z');
    const links = new DownloadLinks({ sign: ed25519, ttlSecs: 60, now: () => now });
    const path = links.pathFor('room_recordings', id);
    expect(path).toMatch(
      new RegExp(`^/v2/downloads/room_recordings/${id}\\?expires=\\d+&signature=`),
    );
    const query = queryOf(path);
    expect(links.verify('room_recordings', id, query)).toBe(true);
    now += 61_000;
    expect(links.verify('room_recordings', id, query)).toBe(false);
  });

  it('refuses a link for another file, kind, expiry or key', () => {
    const links = new DownloadLinks({ sign: ed25519 });
    const query = queryOf(links.pathFor('room_recordings', id));
    expect(links.verify('room_recordings', id.replace('73', '74'), query)).toBe(false);
    expect(links.verify('room_compositions', id, query)).toBe(false);
    expect(links.verify('room_recordings', id, { ...query, expires: query.expires + 1 })).toBe(
      false,
    );
    expect(links.verify('room_recordings', id, { ...query, signature: 'x' })).toBe(false);
    const other = generateKeyPairSync('ed25519').privateKey;
    const otherLinks = new DownloadLinks({
      sign: (t, text) => sign(null, Buffer.from(`${t}|${text}`), other).toString('base64'),
    });
    expect(otherLinks.verify('room_recordings', id, query)).toBe(false);
  });
});
