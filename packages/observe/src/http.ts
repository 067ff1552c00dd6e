/**
 * Starting and stopping the small HTTP servers of this package (worker metrics, the dashboard):
 * a listen error becomes a message naming the address, and stop() closes lingering connections
 * (SSE streams) so a stopping process never waits on a browser.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Address } from './address.js';
import { messages } from './messages.js';

export interface Listening {
  readonly server: Server;
  /** `http://host:port` with the port actually bound (for port 0). */
  readonly url: string;
  stop(): Promise<void>;
}

export async function listenOn(what: string, address: Address, handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          messages.server.listen(what, `${address.host}:${address.port}`, error.code ?? error.message),
        ),
      );
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    server,
    url: `http://${host}:${bound.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
