import { createServer } from 'node:net';
import { PortInUseError } from './errors';

/**
 * Resolves when `port` can be bound on `host` (a loopback address: 127.0.0.1 unless a local
 * cluster gives each node its own), rejects with PortInUseError otherwise.
 */
export function assertPortFree(
  port: number,
  role: string,
  variable?: string,
  host = '127.0.0.1',
): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, role, variable, host) : error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}
