import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporalConnectionFromEnv } from './connection';

describe('temporalConnectionFromEnv', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'temporal-env-'));
    writeFileSync(join(dir, 'client.pem'), 'CLIENT CERT');
    writeFileSync(join(dir, 'client.key'), 'CLIENT KEY');
    writeFileSync(join(dir, 'ca.pem'), 'SERVER CA');
    writeFileSync(
      join(dir, 'temporal.toml'),
      [
        '[profile.default]',
        'address = "localhost:7233"',
        '',
        '[profile.prod]',
        'address = "temporal.internal:7233"',
        'namespace = "billing"',
        '[profile.prod.tls]',
        `client_cert_path = "${join(dir, 'client.pem')}"`,
        `client_key_path = "${join(dir, 'client.key')}"`,
        `server_ca_cert_path = "${join(dir, 'ca.pem')}"`,
        'server_name = "temporal.internal"',
        '',
        '[profile.cloud]',
        'address = "acme.a1b2c.tmprl.cloud:7233"',
        'namespace = "acme.a1b2c"',
        'api_key = "secret-key"',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ok = (env: Record<string, string>) => {
    const result = temporalConnectionFromEnv(env);
    if (!result.ok) throw new Error(result.issues.join('\n'));
    return result.config;
  };
  const issues = (env: Record<string, string>) => {
    const result = temporalConnectionFromEnv(env);
    if (result.ok) throw new Error('expected issues');
    return result.issues;
  };

  it('defaults to a local plaintext server and the default namespace', () => {
    expect(ok({})).toEqual({
      connectionOptions: { address: 'localhost:7233' },
      namespace: 'default',
      summary: 'localhost:7233, namespace default, plaintext',
    });
  });

  it('reads the variables the temporal CLI reads', () => {
    const config = ok({
      TEMPORAL_ADDRESS: '10.0.0.5:7233',
      TEMPORAL_NAMESPACE: 'billing',
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      TEMPORAL_GRPC_META_X_TEAM: 'billing',
    });
    expect(config.namespace).toBe('billing');
    expect(config.connectionOptions).toEqual({
      address: '10.0.0.5:7233',
      tls: {
        serverNameOverride: 'temporal.internal',
        serverRootCACertificate: Buffer.from('SERVER CA'),
        clientCertPair: { crt: Buffer.from('CLIENT CERT'), key: Buffer.from('CLIENT KEY') },
      },
      metadata: { 'x-team': 'billing' },
    });
    expect(config.summary).toBe('10.0.0.5:7233, namespace billing, mTLS');
  });

  it('reads a profile of a temporal.toml, and the variables override it', () => {
    const file = join(dir, 'temporal.toml');
    const prod = ok({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(prod.connectionOptions.address).toBe('temporal.internal:7233');
    expect(prod.summary).toBe('temporal.internal:7233, namespace billing, mTLS');
    const overridden = ok({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'billing-canary',
    });
    expect(overridden.namespace).toBe('billing-canary');
  });

  it("an API key (Temporal Cloud's) turns TLS on, and is never in the summary", () => {
    const cloud = ok({
      TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'),
      TEMPORAL_PROFILE: 'cloud',
    });
    expect(cloud.connectionOptions).toEqual({
      address: 'acme.a1b2c.tmprl.cloud:7233',
      tls: true,
      apiKey: 'secret-key',
    });
    expect(cloud.summary).toBe('acme.a1b2c.tmprl.cloud:7233, namespace acme.a1b2c, TLS, API key');
    expect(cloud.summary).not.toContain('secret-key');
  });

  it('names the variable behind each problem, in one line each', () => {
    expect(issues({ TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem') })).toEqual([
      'TEMPORAL_TLS_CLIENT_KEY_PATH: required with TEMPORAL_TLS_CLIENT_CERT_PATH (mTLS needs both)',
    ]);
    expect(
      issues({
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
      }),
    ).toEqual([`TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${join(dir, 'missing.pem')} (ENOENT)`]);
    expect(issues({ TEMPORAL_CONFIG_FILE: join(dir, 'none.toml') })).toEqual([
      `TEMPORAL_CONFIG_FILE: cannot read ${join(dir, 'none.toml')}`,
    ]);
    expect(
      issues({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'staging' }),
    ).toEqual([expect.stringMatching(/^TEMPORAL_PROFILE: .*staging/)]);
    expect(issues({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })).toEqual([
      expect.stringMatching(/^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: .*TEMPORAL_TLS_SERVER_NAME/),
    ]);
  });
});
