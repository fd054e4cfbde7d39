#!/usr/bin/env node
import { createCallCommand } from '@palaver/phone-sim';
import { Command, Option } from 'commander';
import { ApiKeyService } from './auth/ApiKeyService.js';
import type { ConfigOverrides } from './config.js';
import { CONFIG_ENV, LOG_LEVELS, loadConfig } from './config.js';
import { PalaverError } from './errors.js';
import { createLogger } from './logger.js';
import { addMediaCommands } from './mediaCommands.js';
import { PalaverServer } from './PalaverServer.js';
import { Store } from './store/Store.js';

// The command-line entry point: `palaver start`, `palaver keys …`. The only module that reads
// process.env, which it hands to loadConfig.

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

interface CommonFlags {
  dataDir?: string;
  databaseUrl?: string;
  logLevel?: string;
}

interface StartFlags extends CommonFlags {
  port?: string;
  host?: string;
  publicUrl?: string;
}

function configFrom(flags: StartFlags, defaultLogLevel?: string) {
  const overrides: ConfigOverrides = {
    port: flags.port,
    host: flags.host,
    publicUrl: flags.publicUrl,
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    logLevel: flags.logLevel ?? (process.env[CONFIG_ENV.logLevel] ? undefined : defaultLogLevel),
  };
  return loadConfig(process.env, overrides);
}

function withStoreFlags(command: Command): Command {
  return command
    .addOption(new Option('--data-dir <dir>', `data directory [${CONFIG_ENV.dataDir}]`))
    .addOption(
      new Option(
        '--database-url <url>',
        `PostgreSQL URL instead of SQLite [${CONFIG_ENV.databaseUrl}]`,
      ),
    )
    .addOption(
      new Option('--log-level <level>', `log level [${CONFIG_ENV.logLevel}]`).choices(LOG_LEVELS),
    );
}

async function start(flags: StartFlags): Promise<void> {
  const config = configFrom(flags);
  const logger = createLogger(config.logLevel);
  const server = await PalaverServer.create({ config, logger });
  let url: string;
  try {
    url = await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const key = server.firstApiKey?.secret;
  out();
  out(`Palaver is running at ${url}`);
  if (config.demo) {
    out(
      `Demo page: open ${url}/ in two browser tabs (demo mode: anyone can join; off in production)`,
    );
  }
  if (key !== undefined) {
    out(`API key (created on first start, shown only this once — keep it): ${key}`);
  } else if (config.apiKey !== undefined) {
    out(`API key: the value of ${CONFIG_ENV.apiKey}`);
  } else {
    out('API key: use one you created before (palaver keys list / palaver keys create)');
  }
  out();
  out('Create a room:');
  out(`  curl -s -X POST ${url}/v2/rooms \\`);
  out(`    -H "Authorization: Bearer ${key ?? '<your API key>'}" \\`);
  out(`    -H "Content-Type: application/json" -d '{"unique_name":"hello"}'`);
  out(`API reference: ${url}/v2/openapi.json`);
  if (server.gateway !== undefined) {
    const base = server.tlsUrl?.replace(/^https:/, 'wss:') ?? url.replace(/^http/, 'ws');
    out(`Browsers join at ${base}/<room id>/janus (the room gateway; see docs/gateway.md)`);
    if (server.tlsUrl === undefined) {
      out(
        `  Browsers need WSS: set ${CONFIG_ENV.tlsCert} and ${CONFIG_ENV.tlsKey} for a TLS listener.`,
      );
    }
  }
  out();
}

async function withKeys<T>(
  flags: CommonFlags,
  use: (keys: ApiKeyService) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags, 'warn');
  const store = await Store.open({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger: createLogger(config.logLevel),
  });
  try {
    return await use(new ApiKeyService(store));
  } finally {
    await store.close();
  }
}

function program(): Command {
  const cli = new Command('palaver')
    .description(
      'Palaver: self-hosted video rooms with a telephone bridge, compatible with the Telnyx Video Rooms API.',
    )
    .showHelpAfterError();

  withStoreFlags(
    cli
      .command('start')
      .description('start the server (what `npm start` runs)')
      .addOption(new Option('--port <port>', `TCP port [${CONFIG_ENV.port}, default 8080]`))
      .addOption(new Option('--host <host>', `interface [${CONFIG_ENV.host}, default 127.0.0.1]`))
      .addOption(new Option('--public-url <url>', `URL clients use [${CONFIG_ENV.publicUrl}]`)),
  ).action(start);

  const keys = cli.command('keys').description('manage API keys');
  withStoreFlags(
    keys
      .command('create')
      .description('create an API key and print its secret (shown once)')
      .option('--name <name>', 'a label for the key', 'cli'),
  ).action(async (flags: CommonFlags & { name: string }) => {
    const key = await withKeys(flags, (k) => k.create(flags.name));
    out(key.secret);
    process.stderr.write(`created API key ${key.id} (${key.name}); its secret is shown only now\n`);
  });
  withStoreFlags(keys.command('list').description('list API keys (never their secrets)')).action(
    async (flags: CommonFlags) => {
      const list = await withKeys(flags, (k) => k.list());
      out(['ID', 'PREFIX', 'NAME', 'ORIGIN', 'CREATED', 'LAST USED', 'STATUS'].join('\t'));
      for (const key of list) {
        out(
          [
            key.id,
            `${key.prefix}…`,
            key.name,
            key.origin,
            key.createdAt,
            key.lastUsedAt ?? '-',
            key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`,
          ].join('\t'),
        );
      }
    },
  );
  withStoreFlags(
    keys
      .command('revoke')
      .description('revoke an API key by its id or prefix')
      .argument('<id-or-prefix>'),
  ).action(async (idOrPrefix: string, flags: CommonFlags) => {
    const count = await withKeys(flags, (k) => k.revoke(idOrPrefix));
    if (count === 0) {
      throw new PalaverError('resource_not_found', `no active API key matches "${idOrPrefix}"`);
    }
    out(`revoked ${count} key${count === 1 ? '' : 's'}`);
  });
  addMediaCommands(cli, {
    withStoreFlags,
    config: (flags) => configFrom(flags, 'warn'),
    logger: (config) => createLogger(config.logLevel),
    out,
  });
  // The carrier simulator, to try a connector without a Telnyx account (also `palaver-phone-sim`).
  cli.addCommand(createCallCommand());
  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`palaver: ${message}\n`);
    process.exitCode = error instanceof PalaverError ? 2 : 1;
  });
