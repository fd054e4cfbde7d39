import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ConflictError } from '../../errors.js';
import type { RoomService } from '../../rooms/RoomService.js';

// DEMO MODE ONLY (PALAVER_DEMO=1). These routes let anyone who reaches the server join any room
// without an API key, so the demo page works right after `npm start`. Production config leaves
// them out: there, a backend holding an API key hands out join tokens.

export interface DemoRouteOptions {
  rooms: RoomService;
  /** The built demo page (`apps/demo/dist`). */
  dir: string;
}

/** The token subject of demo joins; real tokens carry the API key's id. */
const DEMO_SUBJECT = 'demo';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const JoinBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    room: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
  },
  { additionalProperties: false },
);

/** `GET /` (the demo page), `GET /demo/<file>` (its assets) and `POST /demo/join`. */
export const demoRoutes: FastifyPluginCallbackTypebox<DemoRouteOptions> = (
  app,
  { rooms, dir },
  done,
) => {
  // Only plain file names inside the build directory: no paths, no dot files.
  const sendFile = async (name: string, reply: FastifyReply) => {
    const type = CONTENT_TYPES[extname(name)];
    if (!/^[A-Za-z0-9][\w.-]*$/.test(name) || type === undefined) {
      return reply.code(404).type('text/plain').send('not found');
    }
    try {
      const body = await readFile(join(dir, name));
      return await reply.type(type).header('cache-control', 'no-cache').send(body);
    } catch {
      const hint =
        name === 'index.html'
          ? 'The demo page is not built yet: run `npm run build`, then reload.'
          : 'not found';
      return reply
        .code(name === 'index.html' ? 503 : 404)
        .type('text/plain')
        .send(hint);
    }
  };

  app.get('/', { schema: { hide: true } }, (_request, reply) => sendFile('index.html', reply));
  app.get<{ Params: { file: string } }>(
    '/demo/:file',
    { schema: { hide: true } },
    (request, reply) => sendFile(request.params.file, reply),
  );

  app.post('/demo/join', { schema: { hide: true, body: JoinBody } }, async (request) => {
    const { name, room } = request.body;
    const roomId = await findOrCreateRoom(rooms, room);
    const tokens = await rooms.generateJoinTokens(roomId, DEMO_SUBJECT, {});
    request.log.info({ roomId, name }, 'demo join');
    return {
      roomId,
      token: tokens.token,
      tokenExpiresAt: tokens.tokenExpiresAt,
      refreshToken: tokens.refreshToken,
    };
  });
  done();
};

async function findOrCreateRoom(rooms: RoomService, uniqueName: string): Promise<string> {
  const find = async () =>
    (await rooms.listRooms({ uniqueName }, { number: 1, size: 1 }, false)).items[0]?.room.id;
  const existing = await find();
  if (existing !== undefined) {
    return existing;
  }
  try {
    return (await rooms.createRoom({ uniqueName })).room.id;
  } catch (error) {
    // Two people opened the same new room at once: the other request created it.
    const created = error instanceof ConflictError ? await find() : undefined;
    if (created === undefined) {
      throw error;
    }
    return created;
  }
}
