import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import { writeTestPki, type TestPki } from './certificates';

describe('the test PKI', () => {
  let dir: string;
  let pki: TestPki;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pki-'));
    pki = await writeTestPki(dir);
    server = createServer(
      {
        cert: readFileSync(pki.serverCert),
        key: readFileSync(pki.serverKey),
        ca: readFileSync(pki.caCert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => socket.end('hello'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const handshake = (cert: string, key: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: readFileSync(pki.caCert),
        cert: readFileSync(cert),
        key: readFileSync(key),
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });

  it('makes a server certificate for localhost and a client certificate the server accepts', async () => {
    await expect(handshake(pki.clientCert, pki.clientKey)).resolves.toBe('hello');
  });

  it("makes a stranger's client certificate the server refuses", async () => {
    // TLS 1.3: the client's side of the handshake completes; the server then drops it unanswered.
    const answer = await handshake(pki.strangerCert, pki.strangerKey).catch(() => 'refused');
    expect(answer).not.toBe('hello');
  });
});
