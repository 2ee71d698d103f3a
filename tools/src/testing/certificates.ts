import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto);

/** The files of a test PKI, as TEMPORAL_SERVER_TLS_* and TEMPORAL_TLS_* take them. */
export interface TestPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from another CA: what the server must refuse. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

async function keys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function authority(name: string) {
  const pair = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: pair,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(pair.publicKey),
    ],
  });
  return { cert, pair };
}

async function leaf(
  ca: { cert: x509.X509Certificate; pair: CryptoKeyPair },
  name: string,
  usage: 'server' | 'client',
) {
  const pair = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${name}`,
    issuer: ca.cert.subject,
    publicKey: pair.publicKey,
    signingKey: ca.pair.privateKey,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      ...(usage === 'server'
        ? [
            new x509.SubjectAlternativeNameExtension([
              { type: 'dns', value: 'localhost' },
              { type: 'ip', value: '127.0.0.1' },
            ]),
          ]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.pair.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await pemKey(pair.privateKey) };
}

/**
 * A CA, a server certificate for localhost / 127.0.0.1, a client certificate it signed, and a
 * client certificate of another CA — written to `dir` (ECDSA P-256, 30 days), for mTLS tests.
 */
export async function writeTestPki(dir: string): Promise<TestPki> {
  const ca = await authority('Invincible test CA');
  const stranger = await authority('Someone else');
  const server = await leaf(ca, 'localhost', 'server');
  const client = await leaf(ca, 'invincible-client', 'client');
  const strangerClient = await leaf(stranger, 'invincible-client', 'client');
  const files = {
    caCert: ['ca.pem', ca.cert.toString('pem')],
    serverCert: ['server.pem', server.cert],
    serverKey: ['server.key', server.key],
    clientCert: ['client.pem', client.cert],
    clientKey: ['client.key', client.key],
    strangerCert: ['stranger.pem', strangerClient.cert],
    strangerKey: ['stranger.key', strangerClient.key],
  } as const;
  const written: Record<string, string> = {};
  for (const [field, [name, pem]] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, `${pem.trim()}\n`, { mode: 0o600 });
    written[field] = path;
  }
  return written as unknown as TestPki;
}
