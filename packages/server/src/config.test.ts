import { describe, expect, it } from 'vitest';
import { listenerUrl, loadConfig } from './config.js';

describe('loadConfig()', () => {
  it('has documented defaults', () => {
    const config = loadConfig({}, {}, '/srv/app');
    expect(config).toEqual({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: undefined,
      dataDir: '/srv/app/.palaver',
      apiKey: undefined,
      databaseUrl: undefined,
      logLevel: 'info',
      janusUrl: undefined,
      janusAdminKey: undefined,
      rtpPorts: { min: 20000, max: 40000 },
      publicIp: undefined,
      stunServer: undefined,
      turnServer: undefined,
      turnUser: undefined,
      turnPassword: undefined,
      tlsCert: undefined,
      tlsKey: undefined,
      tlsPort: 8443,
      sessionGraceMs: 10_000,
      regions: {},
      regionCountryCodes: { '1': 'us002', '91': 'in002' },
      callClaimTtlSecs: 90,
      telnyxApiUrl: 'https://api.telnyx.com',
      bridgeWorkers: 0,
      bridgeIdleMs: 10_000,
      demo: false,
      compositionConcurrency: 0,
      janusPpRecPath: 'janus-pp-rec',
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment and lets flags override it', () => {
    const config = loadConfig(
      {
        PALAVER_PORT: '9000',
        PALAVER_HOST: '0.0.0.0',
        PALAVER_PUBLIC_URL: 'https://video.example.com/',
        PALAVER_DATA_DIR: '/var/lib/palaver',
        PALAVER_API_KEY: 'a-long-enough-secret',
        PALAVER_DATABASE_URL: 'postgres://u@db/palaver',
        PALAVER_LOG_LEVEL: 'debug',
        PALAVER_JANUS_URL: 'ws://127.0.0.1:8188',
        PALAVER_JANUS_ADMIN_KEY: 'admin-key',
        PALAVER_RTP_PORTS: '30000-30100',
        PALAVER_PUBLIC_IP: '203.0.113.7',
      },
      { port: '9100', logLevel: 'warn' },
    );
    expect(config).toMatchObject({
      port: 9100,
      host: '0.0.0.0',
      publicUrl: 'https://video.example.com',
      dataDir: '/var/lib/palaver',
      apiKey: 'a-long-enough-secret',
      databaseUrl: 'postgres://u@db/palaver',
      logLevel: 'warn',
      janusUrl: 'ws://127.0.0.1:8188',
      janusAdminKey: 'admin-key',
      rtpPorts: { min: 30000, max: 30100 },
      publicIp: '203.0.113.7',
    });
  });

  it.each([
    [{ PALAVER_PORT: 'eighty' }, /PALAVER_PORT/],
    [{ PALAVER_PORT: '70000' }, /PALAVER_PORT/],
    [{ PALAVER_PUBLIC_URL: 'video.example.com' }, /PALAVER_PUBLIC_URL/],
    [{ PALAVER_PUBLIC_URL: 'ftp://video.example.com' }, /PALAVER_PUBLIC_URL/],
    [{ PALAVER_DATABASE_URL: 'mysql://db' }, /PALAVER_DATABASE_URL/],
    [{ PALAVER_API_KEY: 'short' }, /PALAVER_API_KEY/],
    [{ PALAVER_LOG_LEVEL: 'loud' }, /PALAVER_LOG_LEVEL/],
    [{ PALAVER_JANUS_URL: 'http://janus:8188' }, /PALAVER_JANUS_URL/],
    [{ PALAVER_JANUS_URL: 'ws://janus:8188' }, /PALAVER_JANUS_ADMIN_KEY/],
    [{ PALAVER_RTP_PORTS: '40000-20000' }, /PALAVER_RTP_PORTS/],
    [{ PALAVER_RTP_PORTS: '80-90000' }, /PALAVER_RTP_PORTS/],
    [{ PALAVER_TURN_SERVER: 'turn.example.com:3478' }, /PALAVER_TURN_USER/],
    [{ PALAVER_TLS_CERT: '/etc/palaver/cert.pem' }, /PALAVER_TLS_KEY/],
    [{ PALAVER_TLS_KEY: '/etc/palaver/key.pem' }, /PALAVER_TLS_CERT/],
    [{ PALAVER_TLS_PORT: '-1' }, /PALAVER_TLS_PORT/],
    [{ PALAVER_SESSION_GRACE_SECS: 'soon' }, /PALAVER_SESSION_GRACE_SECS/],
    [{ PALAVER_REGIONS: 'us002=https://us.example' }, /PALAVER_REGIONS/],
    [{ PALAVER_REGIONS: 'us002' }, /PALAVER_REGIONS/],
    [{ PALAVER_REGION_COUNTRY_CODES: 'one=us002' }, /PALAVER_REGION_COUNTRY_CODES/],
    [{ PALAVER_CALL_CLAIM_TTL_SECS: '0' }, /PALAVER_CALL_CLAIM_TTL_SECS/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the TLS listener and the session grace', () => {
    const config = loadConfig(
      {
        PALAVER_TLS_CERT: 'tls/cert.pem',
        PALAVER_TLS_KEY: '/etc/palaver/key.pem',
        PALAVER_TLS_PORT: '9443',
        PALAVER_SESSION_GRACE_SECS: '0.25',
      },
      {},
      '/srv/app',
    );
    expect(config).toMatchObject({
      tlsCert: '/srv/app/tls/cert.pem',
      tlsKey: '/etc/palaver/key.pem',
      tlsPort: 9443,
      sessionGraceMs: 250,
    });
  });

  it('reads telephony regions, the country-code table and the claim lifetime', () => {
    const config = loadConfig({
      PALAVER_REGIONS: 'us002=wss://us.example/ingest/, in002=ws://10.0.0.2:8080',
      PALAVER_REGION_COUNTRY_CODES: '1=us002,91=in002,44=eu001',
      PALAVER_CALL_CLAIM_TTL_SECS: '1.5',
    });
    expect(config).toMatchObject({
      regions: { us002: 'wss://us.example/ingest', in002: 'ws://10.0.0.2:8080' },
      regionCountryCodes: { '1': 'us002', '91': 'in002', '44': 'eu001' },
      callClaimTtlSecs: 1.5,
    });
  });

  it('reads the phone bridge settings and refuses bad ones', () => {
    const config = loadConfig({
      PALAVER_TELNYX_API_URL: 'http://127.0.0.1:9999/',
      PALAVER_BRIDGE_WORKERS: '3',
      PALAVER_BRIDGE_IDLE_SECS: '2.5',
    });
    expect(config).toMatchObject({
      telnyxApiUrl: 'http://127.0.0.1:9999',
      bridgeWorkers: 3,
      bridgeIdleMs: 2500,
    });
    expect(() => loadConfig({ PALAVER_TELNYX_API_URL: 'ftp://x' })).toThrow(
      /PALAVER_TELNYX_API_URL/,
    );
    expect(() => loadConfig({ PALAVER_BRIDGE_WORKERS: '1.5' })).toThrow(/PALAVER_BRIDGE_WORKERS/);
    expect(() => loadConfig({ PALAVER_BRIDGE_IDLE_SECS: '0.2' })).toThrow(
      /PALAVER_BRIDGE_IDLE_SECS/,
    );
  });

  it('turns demo mode on only when PALAVER_DEMO says so', () => {
    expect(loadConfig({ PALAVER_DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ PALAVER_DEMO: 'true' }).demo).toBe(true);
    expect(loadConfig({ PALAVER_DEMO: '0' }).demo).toBe(false);
    expect(loadConfig({ PALAVER_DEMO: '' }).demo).toBe(false);
    expect(() => loadConfig({ PALAVER_DEMO: 'maybe' })).toThrow(/PALAVER_DEMO/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PALAVER_PORT: '', PALAVER_API_KEY: ' ' }).port).toBe(8080);
  });
});

describe('listenerUrl()', () => {
  it('gives a dialable URL for wildcard and IPv6 hosts', () => {
    expect(listenerUrl('0.0.0.0', 8080)).toBe('http://localhost:8080');
    expect(listenerUrl('::1', 81)).toBe('http://[::1]:81');
    expect(listenerUrl('10.1.2.3', 80)).toBe('http://10.1.2.3:80');
  });
});
