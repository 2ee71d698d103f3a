import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import express from 'express';
import { createHttpServer } from './http-server';

/** A slowloris client: trickles `parts` one every `everyMs`; resolves with what came back and when. */
async function trickle(port: number, toSend: readonly string[], everyMs: number) {
  const parts = [...toSend];
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = Date.now();
  let answer = '';
  socket.on('data', (chunk) => (answer += String(chunk)));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const timer = setInterval(() => {
    const next = parts.shift();
    if (next !== undefined && !socket.destroyed) socket.write(next);
  }, everyMs);
  const closedAt = await closed;
  clearInterval(timer);
  return { answer, afterMs: closedAt - started };
}

describe('createHttpServer: slow clients are cut off', () => {
  const app = express();
  app.post('/echo', express.json(), (req, res) => res.json(req.body));
  app.get('/ok', (_req, res) => res.send('ok'));
  const server = createHttpServer(app, {
    headersTimeoutMs: 500,
    requestTimeoutMs: 1_000,
    keepAliveTimeoutMs: 300,
  });
  let port: number;
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('closes a connection whose headers trickle in past the header timeout (408)', async () => {
    const headers = [
      'GET /ok HTTP/1.1\r\n',
      'Host: x\r\n',
      ...Array.from({ length: 100 }, () => 'X-Slow: 1\r\n'),
    ];
    const { answer, afterMs } = await trickle(port, headers, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(500 + 500); // the bound plus one check interval and slack
  });

  it('closes a connection whose body trickles in past the request timeout (408)', async () => {
    const body = '{"a":"' + 'x'.repeat(200) + '"}';
    const parts = [
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      ...body.split(''),
    ];
    const { answer, afterMs } = await trickle(port, parts, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(1_000 + 500);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { answer, afterMs } = await trickle(port, ['GET /ok HTTP/1.1\r\nHost: x\r\n\r\n'], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    // Node gives the socket a second more than keepAliveTimeout.
    expect(afterMs).toBeLessThan(300 + 1_000 + 500);
  });

  it('serves a prompt client as usual', async () => {
    const { answer } = await trickle(
      port,
      [
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"a":1}',
      ],
      10,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200[\s\S]*\{"a":1\}$/);
  });
});
