import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporalConnectionFromEnv } from '@invincible/temporal-runtime';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { writeTestPki, type TestPki } from './testing/certificates';

/**
 * TEMPORAL_API_KEY as Temporal Cloud takes it, as far as a local machine can show: no local
 * Temporal checks API keys, so a TLS HTTP/2 endpoint stands in for the frontend and records what
 * the API's client (grpc-js) and the workers' connection (the Rust core) send — over TLS, with
 * `authorization: Bearer <key>` and the TEMPORAL_GRPC_META_* headers on every call.
 */
describe('TEMPORAL_API_KEY (Temporal Cloud)', () => {
  let dir: string;
  let pki: TestPki;
  let server: Http2SecureServer;
  let port: number;
  const sessions = new Set<ServerHttp2Session>();
  const seen: { path: string; authorization: string | undefined; team: string | undefined }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'api-key-'));
    pki = await writeTestPki(dir);
    server = createSecureServer({
      cert: readFileSync(pki.serverCert),
      key: readFileSync(pki.serverKey),
    });
    server.on('session', (session) => sessions.add(session));
    server.on('stream', (stream, headers) => {
      const header = (name: string) => {
        const value = headers[name];
        return Array.isArray(value) ? value.join(',') : value;
      };
      seen.push({
        path: String(headers[':path']),
        authorization: header('authorization'),
        team: header('x-team'),
      });
      // An empty answer with a gRPC error: enough for the client to have sent its headers.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16' });
      stream.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    // The clients keep their HTTP/2 sessions open: close them, or the server never closes.
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const config = () => {
    const result = temporalConnectionFromEnv({
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_API_KEY: 'cloud-api-key-0123456789',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      TEMPORAL_GRPC_META_X_TEAM: 'billing',
    });
    if (!result.ok) throw new Error(result.issues.join('\n'));
    return result.config;
  };

  it("the API's client sends the key as a bearer token, over TLS", async () => {
    seen.length = 0;
    const connection = await Connection.connect({
      ...config().connectionOptions,
      connectTimeout: 1_000,
    }).catch(() => undefined);
    await connection?.close();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual({
      path: expect.stringMatching(
        /^\/temporal\.api\.workflowservice\.v1\.WorkflowService\//,
      ) as unknown,
      authorization: 'Bearer cloud-api-key-0123456789',
      team: 'billing',
    });
  });

  it("the workers' native connection sends it too", async () => {
    seen.length = 0;
    await NativeConnection.connect(config().connectionOptions).then(
      (c) => c.close(),
      () => undefined,
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatchObject({
      authorization: 'Bearer cloud-api-key-0123456789',
      team: 'billing',
    });
  });
});
