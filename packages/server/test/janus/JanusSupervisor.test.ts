import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  JANUS_PLUGINS,
  JanusApiError,
  JanusClient,
  janusEventAuthorization,
  JanusPluginError,
  JanusRoomEngine,
  JanusStartError,
  JanusSupervisor,
  type JanusRestartedEvent,
} from '../../src/janus/index.js';
import {
  freePort,
  memoryLogger,
  processAlive,
  secret,
  startTestJanus,
  tempDir,
  waitFor,
  type TestJanus,
} from './support.js';

// This file's own UDP range, so it can run in parallel with the other Janus test files.
const RTP = { min: 42000, max: 42199 };

describe('JanusSupervisor with an embedded Janus', () => {
  const running: TestJanus[] = [];
  const start = async (...args: Parameters<typeof startTestJanus>): Promise<TestJanus> => {
    const janus = await startTestJanus(...args);
    running.push(janus);
    return janus;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((janus) => janus.stop()));
  });

  it('starts Janus, which answers info with only the wanted plugins and transport', async () => {
    const janus = await start(RTP);
    const client = await janus.supervisor.createClient();
    const info = await client.info();
    expect(info.version_string).toBe('1.1.2');
    expect(Object.keys(info.plugins).sort()).toEqual(Object.values(JANUS_PLUGINS).sort());
    expect(Object.keys(info.transports)).toEqual(['janus.transport.websockets']);
    expect(info.events).toEqual({});
    expect(info.loggers).toEqual({});
    expect(info['server-name']).toBe('palaver');
    expect(janus.supervisor.serverInfo?.version).toBe(1102);
  });

  it("pipes Janus's log into the logger with a janus: prefix and matching levels", async () => {
    const janus = await start(RTP);
    const lines = janus.records.filter((r) => r.msg.startsWith('janus: '));
    expect(lines.some((r) => r.msg.includes('Starting Meetecho Janus') && r.level === 30)).toBe(
      true,
    );
    expect(lines.every((r) => typeof r.janusPid === 'number')).toBe(true);
    // Expected notices (disabled modules) are not reported as warnings.
    expect(lines.some((r) => r.msg.includes('has been disabled') && r.level >= 40)).toBe(false);
  });

  it('restarts Janus after SIGKILL and emits restarted', async () => {
    const janus = await start(RTP);
    const { supervisor } = janus;
    const firstPid = supervisor.pid!;
    const client = await supervisor.createClient();
    const clientClosed = client.waitFor('close');
    const exited = supervisor.waitFor('exited');
    const restarted = supervisor.waitFor('restarted');
    const killedAt = performance.now();
    process.kill(firstPid, 'SIGKILL');

    const [exit] = await exited;
    expect(exit).toEqual({ pid: firstPid, code: null, signal: 'SIGKILL' });
    const [closeEvent] = await clientClosed;
    expect(closeEvent.byClient).toBe(false);
    const [event] = await restarted;
    const restartMs = Math.round(performance.now() - killedAt);
    expect(event.attempt).toBe(1);
    expect(event.pid).not.toBe(firstPid);
    expect(supervisor.pid).toBe(event.pid);
    expect(supervisor.state).toBe('running');
    expect(await processAlive(firstPid)).toBe(false);

    const again = await supervisor.createClient();
    await expect(again.info()).resolves.toMatchObject({ janus: 'server_info' });
    console.log(`janus restart after SIGKILL: ${restartMs} ms (start ${event.startMs} ms)`);
  });

  it('keeps working when a listener throws', async () => {
    const janus = await start(RTP);
    const { supervisor } = janus;
    supervisor.on('exited', () => {
      throw new Error('owner bug');
    });
    supervisor.on('restarted', () => Promise.reject(new Error('async owner bug')));
    const restarted = supervisor.waitFor('restarted');
    process.kill(supervisor.pid!, 'SIGKILL');
    await restarted;
    await waitFor(() =>
      janus.records.some(
        (r) => r.msg === 'janus supervisor listener failed' && r.event === 'restarted',
      ),
    );
    expect(supervisor.state).toBe('running');
  });

  it('close() stops Janus, leaves no process behind, closes its clients and is idempotent', async () => {
    const janus = await start(RTP);
    const { supervisor } = janus;
    const pid = supervisor.pid!;
    const client = await supervisor.createClient();
    const closedEvent = supervisor.waitFor('closed');
    const stopStart = performance.now();
    await Promise.all([supervisor.close(), supervisor.close()]);
    console.log(`janus stop (SIGTERM): ${Math.round(performance.now() - stopStart)} ms`);
    await closedEvent;
    expect(await processAlive(pid)).toBe(false);
    expect(client.closed).toBe(true);
    expect(supervisor.state).toBe('closed');
    expect(supervisor.pid).toBeUndefined();
    await expect(supervisor.createClient()).rejects.toThrow(/not running/);
  });

  it('reports Janus that cannot start (port taken) as JanusStartError and leaves nothing running', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const dir = await tempDir('janus-fail');
    const { logger } = memoryLogger();
    const supervisor = new JanusSupervisor({
      logger,
      embedded: {
        dir: dir.path,
        config: { wsPort: port, adminKey: secret(), adminSecret: secret(), rtpPorts: RTP },
      },
      startTimeoutMs: 5_000,
    });
    try {
      const error = await supervisor.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JanusStartError);
      expect(String(error)).toMatch(/exited while starting \(code 1\)[\s\S]*Error creating vhost/);
      expect(supervisor.pid).toBeUndefined();
    } finally {
      await supervisor.close();
      blocker.close();
      await dir.remove();
    }
  });

  it('reports a missing binary as JanusStartError', async () => {
    const dir = await tempDir('janus-nobin');
    const supervisor = new JanusSupervisor({
      logger: memoryLogger().logger,
      embedded: {
        dir: dir.path,
        binary: '/nonexistent/janus',
        config: {
          wsPort: await freePort(),
          adminKey: secret(),
          adminSecret: secret(),
          rtpPorts: RTP,
        },
      },
    });
    await expect(supervisor.start()).rejects.toThrow(/janus package installed/);
    await supervisor.close();
    await dir.remove();
  });

  it('kills a Janus left running by a previous server in the same folder', async () => {
    const first = await start(RTP);
    const dir = first.dir;
    // Simulate a server that died without stopping its Janus: run one by hand from the same folder.
    const port = await freePort();
    await first.supervisor.close();
    const orphan = spawn(
      'janus',
      [
        '--configs-folder',
        dir,
        '--config',
        join(dir, 'janus.jcfg'),
        '--pid-file',
        join(dir, 'janus.pid'),
      ],
      { stdio: 'ignore', detached: true },
    );
    const orphanPid = orphan.pid!;
    await waitFor(() => processAlive(orphanPid));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const { logger, records } = memoryLogger();
    const supervisor = new JanusSupervisor({
      logger,
      embedded: {
        dir,
        config: { wsPort: port, adminKey: secret(), adminSecret: secret(), rtpPorts: RTP },
      },
    });
    try {
      await supervisor.start();
      await waitFor(async () => !(await processAlive(orphanPid)));
      expect(records.some((r) => r.msg === 'killing a Janus left over by a previous run')).toBe(
        true,
      );
    } finally {
      orphan.kill('SIGKILL');
      await supervisor.close();
    }
  });

  it('with an API secret, serves its own clients and refuses clients without it', async () => {
    const apiSecret = secret();
    const janus = await start(RTP, { apiSecret });
    const own = await janus.supervisor.createClient();
    await expect(own.createSession()).resolves.toMatchObject({ closed: false });
    const stranger = await JanusClient.connect({ url: janus.supervisor.url });
    try {
      const error = await stranger.createSession().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JanusApiError);
      expect((error as JanusApiError).janusCode).toBe(403);
    } finally {
      stranger.close();
    }
  });

  it('points the sample event handler at Palaver with basic auth', async () => {
    const received: { headers: IncomingHttpHeaders; body: unknown }[] = [];
    const sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
        res.end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const address = sink.address();
    const sinkPort = address !== null && typeof address === 'object' ? address.port : 0;
    const eventSecret = secret();
    try {
      const janus = await start(RTP, {
        eventHandler: { url: `http://127.0.0.1:${sinkPort}/janus/events`, secret: eventSecret },
      });
      expect(Object.keys(janus.supervisor.serverInfo?.events ?? {})).toEqual([
        'janus.eventhandler.sampleevh',
      ]);
      const client = await janus.supervisor.createClient();
      await client.createSession();
      await waitFor(() =>
        received.some((r) => JSON.stringify(r.body).includes('"name":"created"')),
      );
      for (const request of received) {
        expect(request.headers.authorization).toBe(janusEventAuthorization(eventSecret));
        expect(Array.isArray(request.body)).toBe(true);
      }
      const events = received.flatMap((r) => r.body as { type: number; emitter: string }[]);
      expect(events.some((e) => e.type === 256)).toBe(true); // core: started
      expect(events.some((e) => e.type === 1)).toBe(true); // session: created
      expect(events.every((e) => e.emitter === 'palaver')).toBe(true);
    } finally {
      sink.close();
    }
  });
});

describe('JanusSupervisor health check', () => {
  it('kills and restarts a Janus whose AudioBridge is deadlocked by a bad changeroom', async () => {
    const janus = await startTestJanus(
      RTP,
      {},
      { healthCheck: { intervalMs: 150, timeoutMs: 300, failures: 2 } },
    );
    try {
      const { supervisor } = janus;
      const engine = new JanusRoomEngine({
        client: await supervisor.createClient(),
        adminKey: janus.adminKey,
        logger: memoryLogger().logger,
      });
      const [from, to] = [randomUUID(), randomUUID()];
      await engine.ensureRoom(from, { maxParticipants: 2 });
      await engine.ensureRoom(to, { maxParticipants: 2 });
      const participant = await (await supervisor.createClient()).createSession();
      const handle = await participant.attach(JANUS_PLUGINS.audiobridge);
      await handle.message({ request: 'join', room: from, display: 'x' });

      const unresponsive = supervisor.waitFor('unresponsive');
      const restarted = supervisor.waitFor('restarted');
      const firstPid = supervisor.pid;
      // Janus 1.1.2 answers this with an error but leaves the AudioBridge rooms lock held.
      await expect(
        handle.message({ request: 'changeroom', room: to, secret: 'wrong' }),
      ).rejects.toBeInstanceOf(JanusPluginError);

      const [event] = await unresponsive;
      expect(event.pid).toBe(firstPid);
      const [restart] = await restarted;
      expect(restart.pid).not.toBe(firstPid);
      const result = await engine.rebind(await supervisor.createClient());
      expect(result.recreated.sort()).toEqual([from, to].sort());
      engine.close();
    } finally {
      await janus.stop();
    }
  });
});

describe('JanusSupervisor with an external Janus', () => {
  it('reports when the external Janus comes back after dying', async () => {
    const janus = await startTestJanus(RTP);
    const supervisor = new JanusSupervisor({
      logger: memoryLogger().logger,
      external: { url: janus.supervisor.url },
      restart: { initialDelayMs: 50 },
    });
    try {
      const ready = await supervisor.start();
      expect(ready.pid).toBeUndefined();
      const client = await supervisor.createClient();
      await expect(client.info()).resolves.toMatchObject({ janus: 'server_info' });

      const exited = supervisor.waitFor('exited');
      const restarted = supervisor.waitFor('restarted');
      process.kill(janus.supervisor.pid!, 'SIGKILL');
      await exited;
      const [event]: [JanusRestartedEvent] = await restarted;
      expect(event.url).toBe(janus.supervisor.url);
      await expect((await supervisor.createClient()).info()).resolves.toMatchObject({
        janus: 'server_info',
      });
    } finally {
      await supervisor.close();
      await janus.stop();
    }
  });
});
