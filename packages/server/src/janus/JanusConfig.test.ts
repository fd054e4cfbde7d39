import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  audiobridgeConfig,
  DEBIAN_JANUS_MODULES,
  defaultJanusLibDir,
  generateJanusConfig,
  janusCoreConfig,
  janusEventAuthorization,
  jcfgString,
  renderJcfg,
  sampleEventHandlerConfig,
  textroomConfig,
  videoroomConfig,
  websocketsTransportConfig,
  type JanusConfigOptions,
} from './JanusConfig.js';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const base: JanusConfigOptions = {
  configDir: '/data/janus',
  libDir: '/usr/lib/x86_64-linux-gnu/janus',
  wsPort: 8188,
  adminKey: ADMIN_KEY,
  adminSecret: 'admin-secret-0123456789',
  rtpPorts: { min: 20000, max: 20999 },
};

/** The `key = value` line of a section, or undefined. */
function setting(text: string, section: string, key: string): string | undefined {
  const body = new RegExp(`^${section}: \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(text)?.[1] ?? '';
  return new RegExp(`^\\t${key} = (.*)$`, 'm').exec(body)?.[1];
}

describe('renderJcfg', () => {
  it('writes sections with typed values', () => {
    const text = renderJcfg({
      general: { name: 'x', port: 1, on: true, list: ['a', 'b'], skipped: undefined },
      empty: {},
    });
    expect(text).toBe(
      'general: {\n\tname = "x"\n\tport = 1\n\ton = true\n\tlist = ["a", "b"]\n}\n\nempty: {\n}\n',
    );
  });

  it('escapes quotes and backslashes and refuses control characters', () => {
    expect(jcfgString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => jcfgString('a\nb')).toThrow(ValidationError);
  });

  it('refuses non-integer numbers and odd setting names', () => {
    expect(() => renderJcfg({ general: { n: 1.5 } })).toThrow(ValidationError);
    expect(() => renderJcfg({ 'bad name': {} })).toThrow(ValidationError);
  });
});

describe('janusCoreConfig', () => {
  it('points at the module folders and disables every module Palaver does not use', () => {
    const text = janusCoreConfig(base);
    expect(setting(text, 'general', 'configs_folder')).toBe('"/data/janus"');
    expect(setting(text, 'general', 'plugins_folder')).toBe(
      '"/usr/lib/x86_64-linux-gnu/janus/plugins"',
    );
    const disabled = (section: string): string[] =>
      (JSON.parse(setting(text, section, 'disable') ?? '""') as string).split(',');
    expect(disabled('plugins')).toEqual([
      'libjanus_duktape.so',
      'libjanus_echotest.so',
      'libjanus_lua.so',
      'libjanus_nosip.so',
      'libjanus_recordplay.so',
      'libjanus_sip.so',
      'libjanus_streaming.so',
      'libjanus_videocall.so',
      'libjanus_voicemail.so',
    ]);
    expect(disabled('transports')).toEqual([
      'libjanus_http.so',
      'libjanus_mqtt.so',
      'libjanus_nanomsg.so',
      'libjanus_pfunix.so',
      'libjanus_rabbitmq.so',
    ]);
    expect(disabled('loggers')).toEqual(['libjanus_jsonlog.so']);
    expect(disabled('events')).toEqual(DEBIAN_JANUS_MODULES.events);
    expect(setting(text, 'events', 'broadcast')).toBe('false');
  });

  it('disables modules found on disk that Debian did not ship', () => {
    const text = janusCoreConfig({
      ...base,
      modules: {
        plugins: ['libjanus_videoroom.so', 'libjanus_new.so'],
        transports: ['libjanus_websockets.so'],
        events: [],
        loggers: [],
      },
    });
    expect(setting(text, 'plugins', 'disable')).toBe('"libjanus_new.so"');
    expect(setting(text, 'transports', 'disable')).toBeUndefined();
  });

  it('sets the RTP range, secrets, timeouts and quiet, colourless logging', () => {
    const text = janusCoreConfig({ ...base, apiSecret: 'api-secret-0123456789', debugLevel: 3 });
    expect(setting(text, 'media', 'rtp_port_range')).toBe('"20000-20999"');
    expect(setting(text, 'general', 'admin_secret')).toBe('"admin-secret-0123456789"');
    expect(setting(text, 'general', 'api_secret')).toBe('"api-secret-0123456789"');
    expect(setting(text, 'general', 'session_timeout')).toBe('60');
    expect(setting(text, 'general', 'reclaim_session_timeout')).toBe('0');
    expect(setting(text, 'general', 'debug_level')).toBe('3');
    expect(setting(text, 'general', 'debug_colors')).toBe('false');
    expect(setting(text, 'general', 'server_name')).toBe('"palaver"');
    expect(setting(text, 'general', 'protected_folders')).not.toContain('"/var"');
  });

  it('leaves NAT settings out unless given', () => {
    const text = janusCoreConfig(base);
    for (const key of ['stun_server', 'nat_1_1_mapping', 'turn_server', 'turn_pwd']) {
      expect(setting(text, 'nat', key)).toBeUndefined();
    }
    expect(setting(text, 'nat', 'ice_ignore_list')).toBe('"vmnet"');
    expect(setting(text, 'nat', 'ignore_mdns')).toBe('true');
  });

  it('writes public IP, STUN, TURN and ICE restrictions', () => {
    const text = janusCoreConfig({
      ...base,
      nat: {
        publicIp: '203.0.113.7',
        stunServer: 'stun.example.net:19302',
        turn: { server: 'turn.example.net', type: 'tcp', user: 'u', password: 'p"w' },
      },
      ice: { enforceList: ['eth0', '192.0.2.'], ignoreList: ['docker'] },
    });
    expect(setting(text, 'nat', 'nat_1_1_mapping')).toBe('"203.0.113.7"');
    expect(setting(text, 'nat', 'keep_private_host')).toBe('false');
    expect(setting(text, 'nat', 'stun_server')).toBe('"stun.example.net"');
    expect(setting(text, 'nat', 'stun_port')).toBe('19302');
    expect(setting(text, 'nat', 'turn_server')).toBe('"turn.example.net"');
    expect(setting(text, 'nat', 'turn_port')).toBe('3478');
    expect(setting(text, 'nat', 'turn_type')).toBe('"tcp"');
    expect(setting(text, 'nat', 'turn_user')).toBe('"u"');
    expect(setting(text, 'nat', 'turn_pwd')).toBe('"p\\"w"');
    expect(setting(text, 'nat', 'ignore_unreachable_ice_server')).toBe('true');
    expect(setting(text, 'nat', 'ice_enforce_list')).toBe('"eth0,192.0.2."');
    expect(setting(text, 'nat', 'ice_ignore_list')).toBe('"docker"');
  });

  it('defaults the STUN port to 3478', () => {
    const text = janusCoreConfig({ ...base, nat: { stunServer: 'stun.example.net' } });
    expect(setting(text, 'nat', 'stun_port')).toBe('3478');
  });

  it('refuses bad ports, ranges and short secrets', () => {
    expect(() => janusCoreConfig({ ...base, rtpPorts: { min: 30000, max: 20000 } })).toThrow(
      ValidationError,
    );
    expect(() => janusCoreConfig({ ...base, rtpPorts: { min: 0, max: 20000 } })).toThrow(
      ValidationError,
    );
    expect(() => janusCoreConfig({ ...base, adminSecret: 'short' })).toThrow(ValidationError);
    expect(() => janusCoreConfig({ ...base, nat: { stunServer: 'host:99999' } })).toThrow(
      ValidationError,
    );
  });

  it('turns event broadcasting on only with an event handler', () => {
    const text = janusCoreConfig({
      ...base,
      eventHandler: {
        url: 'http://127.0.0.1:9000/janus-events',
        secret: 'event-secret-0123456789',
      },
    });
    expect(setting(text, 'events', 'broadcast')).toBe('true');
    expect(setting(text, 'events', 'disable')).not.toContain('libjanus_sampleevh.so');
    expect(setting(text, 'events', 'disable')).toContain('libjanus_wsevh.so');
    expect(setting(text, 'events', 'stats_period')).toBe('0');
  });
});

describe('websocketsTransportConfig', () => {
  it('binds the Janus API to loopback only, without TLS or Admin API', () => {
    const text = websocketsTransportConfig(base);
    expect(setting(text, 'general', 'ws')).toBe('true');
    expect(setting(text, 'general', 'ws_port')).toBe('8188');
    expect(setting(text, 'general', 'ws_ip')).toBe('"127.0.0.1"');
    expect(setting(text, 'general', 'ws_acl')).toBe('"127."');
    expect(setting(text, 'general', 'wss')).toBe('false');
    expect(setting(text, 'admin', 'admin_ws')).toBe('false');
  });

  it('refuses a non-loopback address', () => {
    expect(() => websocketsTransportConfig({ ...base, wsHost: '0.0.0.0' })).toThrow(
      ValidationError,
    );
    expect(() => websocketsTransportConfig({ ...base, wsHost: '192.0.2.2' })).toThrow(
      ValidationError,
    );
    expect(setting(websocketsTransportConfig({ ...base, wsHost: '::1' }), 'general', 'ws_ip')).toBe(
      '"::1"',
    );
  });
});

describe('plugin configs', () => {
  it('use string ids and the admin key in all three plugins', () => {
    for (const text of [audiobridgeConfig(base), videoroomConfig(base), textroomConfig(base)]) {
      expect(setting(text, 'general', 'string_ids')).toBe('true');
      expect(setting(text, 'general', 'admin_key')).toBe(`"${ADMIN_KEY}"`);
      expect(setting(text, 'general', 'events')).toBe('false');
    }
  });

  it('lock RTP forwarding and file playback behind the admin key', () => {
    expect(setting(audiobridgeConfig(base), 'general', 'lock_rtp_forward')).toBe('true');
    expect(setting(audiobridgeConfig(base), 'general', 'lock_play_file')).toBe('true');
    expect(setting(videoroomConfig(base), 'general', 'lock_rtp_forward')).toBe('true');
  });

  it('give AudioBridge plain-RTP legs their address and port range', () => {
    const text = audiobridgeConfig({
      ...base,
      plainRtpPorts: { min: 21000, max: 21099 },
      plainRtpIp: '127.0.0.1',
    });
    expect(setting(text, 'general', 'rtp_port_range')).toBe('"21000-21099"');
    expect(setting(text, 'general', 'local_ip')).toBe('"127.0.0.1"');
    expect(setting(audiobridgeConfig(base), 'general', 'rtp_port_range')).toBe('"20000-20999"');
  });

  it('refuse a short admin key', () => {
    expect(() => videoroomConfig({ ...base, adminKey: 'x' })).toThrow(ValidationError);
  });
});

describe('sampleEventHandlerConfig', () => {
  it('posts compact JSON to the URL with basic auth carrying the secret', () => {
    const text = sampleEventHandlerConfig({
      url: 'http://127.0.0.1:9000/internal/janus-events',
      secret: 'event-secret-0123456789',
    });
    expect(setting(text, 'general', 'enabled')).toBe('true');
    expect(setting(text, 'general', 'backend')).toBe(
      '"http://127.0.0.1:9000/internal/janus-events"',
    );
    expect(setting(text, 'general', 'backend_user')).toBe('"janus"');
    expect(setting(text, 'general', 'backend_pwd')).toBe('"event-secret-0123456789"');
    expect(setting(text, 'general', 'events')).toBe('"sessions,handles,plugins,webrtc,core"');
    expect(setting(text, 'general', 'grouping')).toBe('true');
    expect(setting(text, 'general', 'json')).toBe('"compact"');
  });

  it('refuses URLs that are not http(s) or that carry credentials', () => {
    const secret = 'event-secret-0123456789';
    expect(() => sampleEventHandlerConfig({ url: 'ws://127.0.0.1/x', secret })).toThrow(
      ValidationError,
    );
    expect(() => sampleEventHandlerConfig({ url: 'http://a:b@127.0.0.1/x', secret })).toThrow(
      ValidationError,
    );
    expect(() => sampleEventHandlerConfig({ url: 'not a url', secret })).toThrow(ValidationError);
  });

  it('matches the Authorization header helper', () => {
    expect(janusEventAuthorization('s3cret')).toBe(
      `Basic ${Buffer.from('janus:s3cret').toString('base64')}`,
    );
  });
});

describe('generateJanusConfig', () => {
  it('makes one file per loaded module, plus the event handler when asked', () => {
    expect([...generateJanusConfig(base).keys()].sort()).toEqual([
      'janus.jcfg',
      'janus.plugin.audiobridge.jcfg',
      'janus.plugin.textroom.jcfg',
      'janus.plugin.videoroom.jcfg',
      'janus.transport.websockets.jcfg',
    ]);
    const withEvents = generateJanusConfig({
      ...base,
      eventHandler: { url: 'http://127.0.0.1:1/e', secret: 'event-secret-0123456789' },
    });
    expect(withEvents.has('janus.eventhandler.sampleevh.jcfg')).toBe(true);
    expect(setting(withEvents.get('janus.plugin.videoroom.jcfg')!, 'general', 'events')).toBe(
      'true',
    );
  });
});

describe('defaultJanusLibDir', () => {
  it('follows Debian multiarch', () => {
    expect(defaultJanusLibDir('x64')).toBe('/usr/lib/x86_64-linux-gnu/janus');
    expect(defaultJanusLibDir('arm64')).toBe('/usr/lib/aarch64-linux-gnu/janus');
  });
});
