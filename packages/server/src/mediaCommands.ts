import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { NotFoundError } from './errors.js';
import { CompositionService } from './recording/CompositionService.js';
import { FfmpegCompositionEngine } from './recording/FfmpegCompositionEngine.js';
import { MjrConverter } from './recording/MjrConverter.js';
import { RecordingService } from './recording/RecordingService.js';
import type { RoomComposition } from './recording/types.js';
import { Store } from './store/Store.js';
import { join } from 'node:path';

// `palaver recordings …` and `palaver compositions …`: the recordings and compositions of the
// server whose data dir (or database) the flags name, read and queued through the store. A
// running server takes up compositions queued here within a couple of seconds.

export interface MediaCommandHost {
  /** Adds the data-dir/database flags to a command. */
  withStoreFlags(command: Command): Command;
  config(flags: Record<string, unknown>): Config;
  logger(config: Config): Logger;
  out(line?: string): void;
}

interface Media {
  recordings: RecordingService;
  compositions: CompositionService;
}

async function withMedia<T>(
  host: MediaCommandHost,
  flags: Record<string, unknown>,
  use: (media: Media) => Promise<T>,
): Promise<T> {
  const config = host.config(flags);
  const logger = host.logger(config);
  const store = await Store.open({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
  });
  // Neither service is started: nothing is converted or composed in the CLI's process.
  const recordings = new RecordingService({
    store,
    root: join(config.dataDir, 'recordings'),
    converter: new MjrConverter({ janusPpRecPath: config.janusPpRecPath }),
    logger,
  });
  const compositions = new CompositionService({
    store,
    recordings,
    engine: new FfmpegCompositionEngine({ logger, ffmpegPath: config.ffmpegPath }),
    logger,
  });
  try {
    return await use({ recordings, compositions });
  } finally {
    await compositions.close();
    await recordings.close();
    await store.close();
  }
}

/** `processing  42% [########............]` */
export function progressLine(composition: RoomComposition): string {
  const width = 20;
  const filled = Math.round((composition.progress / 100) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const percent = `${String(composition.progress).padStart(3)}%`;
  const tail = composition.status === 'failed' ? `  ${composition.error ?? ''}` : '';
  return `${composition.status.padEnd(10)} ${percent} ${bar}${tail}`;
}

export function addMediaCommands(cli: Command, host: MediaCommandHost): void {
  const recordings = cli.command('recordings').description('list recorded tracks');
  host
    .withStoreFlags(
      recordings
        .command('list')
        .description('list recordings, newest first')
        .option('--session <id>', 'only this room session')
        .option('--room <id>', 'only this room'),
    )
    .action(async (flags: { session?: string; room?: string }) => {
      await withMedia(host, flags, async ({ recordings: service }) => {
        const page = await service.list(
          { sessionId: flags.session, roomId: flags.room },
          { number: 1, size: 250 },
        );
        host.out(['ID', 'SESSION', 'PARTICIPANT', 'TYPE', 'STATUS', 'SECONDS', 'FILE'].join('\t'));
        for (const r of page.items) {
          host.out(
            [
              r.id,
              r.sessionId,
              r.participantId,
              r.type,
              r.status,
              r.durationMs === null ? '-' : (r.durationMs / 1000).toFixed(1),
              r.filePath === null ? '-' : service.absolutePath(r.filePath),
            ].join('\t'),
          );
        }
      });
    });

  const compositions = cli.command('compositions').description('compose recorded sessions');
  host
    .withStoreFlags(
      compositions
        .command('create')
        .description('queue a composition of a session (a running server makes it)')
        .argument('<session-id>')
        .option('--resolution <WxH>', 'output size', '1280x720'),
    )
    .action(async (sessionId: string, flags: { resolution: string }) => {
      await withMedia(host, flags, async ({ compositions: service }) => {
        const composition = await service.create({ sessionId, resolution: flags.resolution });
        host.out(composition.id);
      });
    });
  host
    .withStoreFlags(
      compositions.command('list').description('list compositions with their progress'),
    )
    .action(async (flags: Record<string, unknown>) => {
      await withMedia(host, flags, async ({ compositions: service }) => {
        const page = await service.list({}, { number: 1, size: 250 });
        for (const c of page.items) {
          host.out(`${c.id}  ${c.sessionId}  ${progressLine(c)}`);
        }
      });
    });
  host
    .withStoreFlags(
      compositions
        .command('watch')
        .description('follow a composition until it is completed or failed')
        .argument('<id>')
        .option('--interval <ms>', 'how often to look', '1000'),
    )
    .action(async (id: string, flags: { interval: string }) => {
      const failed = await withMedia(
        host,
        flags,
        async ({ recordings: files, compositions: service }) => {
          let last = '';
          for (;;) {
            const composition = await service.find(id);
            if (composition === undefined) {
              throw new NotFoundError('room_composition', id);
            }
            const line = progressLine(composition);
            if (line !== last) {
              host.out(line);
              last = line;
            }
            if (composition.status === 'completed') {
              host.out(files.absolutePath(composition.filePath ?? ''));
              return false;
            }
            if (composition.status === 'failed') {
              return true;
            }
            await new Promise((resolve) => setTimeout(resolve, Number(flags.interval) || 1000));
          }
        },
      );
      if (failed) {
        process.exitCode = 1;
      }
    });
}
