import { temporalConnectionFromEnv, type TemporalConnectionConfig } from './connection';
import { diagnoseConnectionError } from './diagnose';

const plain = (
  temporalConnectionFromEnv({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }) as {
    config: TemporalConnectionConfig;
  }
).config;
const mtls: TemporalConnectionConfig = {
  ...plain,
  connectionOptions: {
    address: '127.0.0.1:7233',
    tls: { clientCertPair: { crt: Buffer.from('c'), key: Buffer.from('k') } },
  },
};

// The texts below are what @temporalio/worker 1.24's NativeConnection.connect threw against a
// Temporal 1.29 frontend requiring client certificates (the stack's mTLS test server).
const transport = (message: string) =>
  Object.assign(new Error(message), { name: 'TransportError' });

describe('diagnoseConnectionError', () => {
  it("a server certificate the client's CA did not sign never connects: permanent, names the variable", () => {
    const d = diagnoseConnectionError(
      transport(
        'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))',
      ),
      mtls,
    );
    expect(d).toEqual({
      permanent: true,
      line: 'Temporal at 127.0.0.1:7233: its certificate is not trusted (UnknownIssuer); set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it',
    });
  });

  it('a client certificate the server refuses: the connection closes during the handshake; retried, named', () => {
    const d = diagnoseConnectionError(
      transport(
        'Failed to call GetSystemInfo: code: \'The operation was cancelled\', message: "operation was canceled", source: tonic::transport::Error(Transport, hyper::Error(Canceled, "connection closed"))',
      ),
      mtls,
    );
    expect(d.permanent).toBe(false);
    expect(d.line).toMatch(/refuses the client certificate \(TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  it("the server's UnknownCA alert names the client certificate; retried (its CAs may change)", () => {
    const d = diagnoseConnectionError(
      transport(
        'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: UnknownCA" }))',
      ),
      mtls,
    );
    expect(d).toEqual({
      permanent: false,
      line: 'Temporal at 127.0.0.1:7233 refuses the client certificate (UnknownCA): TEMPORAL_TLS_CLIENT_CERT_PATH is not signed by a CA it trusts',
    });
  });

  it('plaintext to a TLS server says which variable turns TLS on', () => {
    const d = diagnoseConnectionError(
      transport(
        'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a broken pipe" }))',
      ),
      plain,
    );
    expect(d.line).toMatch(/set TEMPORAL_TLS=true/);
  });

  it('a server that is simply down is unreachable, retried', () => {
    const d = diagnoseConnectionError(
      transport('tcp connect error: Connection refused (os error 111)'),
      plain,
    );
    expect(d).toEqual({
      permanent: false,
      line: 'Temporal at 127.0.0.1:7233 unreachable: tcp connect error: Connection refused (os error 111)',
    });
  });
});
