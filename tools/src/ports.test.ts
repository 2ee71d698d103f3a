import { createServer, type Server } from 'node:net';
import { PortInUseError } from './errors';
import { assertPortFree } from './ports';

describe('assertPortFree', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('names the port, its role and the variable that moves it when the port is taken', async () => {
    const attempt = assertPortFree(port, 'Temporal frontend (gRPC)', 'TEMPORAL_PORT');
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    await expect(attempt).rejects.toThrow(
      `port ${port} (Temporal frontend (gRPC)) is already in use on 127.0.0.1: stop what holds it, or choose another port with TEMPORAL_PORT=<port>`,
    );
  });

  it('resolves for a free port and leaves it free', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const freePort = (free.address() as { port: number }).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    await expect(assertPortFree(freePort, 'test')).resolves.toBeUndefined();
    await expect(assertPortFree(freePort, 'test')).resolves.toBeUndefined();
  });
});
