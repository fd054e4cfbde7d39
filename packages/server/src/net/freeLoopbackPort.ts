import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nobody listens on right now (for child processes we configure). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') {
          resolve(address.port);
        } else {
          reject(new Error('no free port'));
        }
      });
    });
  });
}
