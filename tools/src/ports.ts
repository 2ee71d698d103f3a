import { createServer } from 'node:net';
import { PortInUseError } from './errors';

/** Resolves when `port` can be bound on 127.0.0.1, rejects with PortInUseError otherwise. */
export function assertPortFree(port: number, role: string, variable?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, role, variable) : error);
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve()),
    );
  });
}
