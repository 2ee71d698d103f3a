import type { TemporalConnectionConfig } from './connection';

/** What a failed connection to Temporal means, in one line, and whether retrying can help. */
export interface ConnectionDiagnosis {
  /** True when the same settings can never connect: fix the configuration, do not retry. */
  readonly permanent: boolean;
  readonly line: string;
}

/** The messages of `error` and its causes, joined. */
function messages(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    parts.push(e instanceof Error ? e.message : JSON.stringify(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' | ');
}

/**
 * Turns the SDK's connection errors (the Rust core's tonic/rustls texts, grpc-js's) into one line
 * naming the setting to check. A certificate the client does not trust, or one issued for another
 * name, never connects: permanent. A connection closed during the handshake while a client
 * certificate is configured is what a server that refuses that certificate does (TLS 1.3 tells
 * the client nothing more) — but also what a restarting server may do, so it is retried.
 */
export function diagnoseConnectionError(
  error: unknown,
  config: TemporalConnectionConfig,
): ConnectionDiagnosis {
  const text = messages(error);
  const where = `Temporal at ${config.connectionOptions.address}`;
  const tls = config.connectionOptions.tls;
  const clientCert = typeof tls === 'object' && tls.clientCertPair !== undefined;
  const reason =
    /\b(UnknownIssuer|BadSignature|Expired|NotValidYet|Revoked|NotValidForName|InvalidCertificate\(\w+\)|certificate)\b/.exec(
      text,
    )?.[0];
  if (/NotValidForName|InvalidDnsName/.test(text)) {
    return {
      permanent: true,
      line: `${where}: its certificate is not for that name; set TEMPORAL_TLS_SERVER_NAME to the name it was issued for`,
    };
  }
  if (/InvalidCertificate|UnknownIssuer|BadSignature|certificate verify failed/.test(text)) {
    return {
      permanent: true,
      line: `${where}: its certificate is not trusted (${reason ?? 'invalid'}); set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it`,
    };
  }
  const alert =
    /fatal alert: (UnknownCA|BadCertificate|CertificateRequired|AccessDenied|CertificateExpired|CertificateRevoked|UnsupportedCertificate)/.exec(
      text,
    )?.[1];
  if (alert) {
    // Retried like the closed handshake below (the same refusal, seen before the close): the
    // server's trusted CAs may change without this process restarting.
    return {
      permanent: false,
      line: `${where} refuses the client certificate (${alert}): ${clientCert ? 'TEMPORAL_TLS_CLIENT_CERT_PATH is not signed by a CA it trusts' : 'it requires one; set TEMPORAL_TLS_CLIENT_CERT_PATH and _KEY_PATH'}`,
    };
  }
  if (/connection closed|Canceled|broken pipe|transport error/i.test(text) && clientCert) {
    return {
      permanent: false,
      line: `${where} closed the connection during the TLS handshake: it refuses the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH is not signed by a CA it trusts), or it is restarting`,
    };
  }
  if (/broken pipe|transport error|connection reset/i.test(text) && !tls) {
    return {
      permanent: false,
      line: `${where} dropped a plaintext connection: if it serves TLS, set TEMPORAL_TLS=true (or TEMPORAL_TLS_SERVER_CA_CERT_PATH, and a client certificate for mTLS)`,
    };
  }
  return { permanent: false, line: `${where} unreachable: ${text.split(' | ')[0] ?? text}` };
}

/**
 * Runs `connect`; a failure no retry can fix (a server certificate the client does not trust, or
 * one for another name) becomes an Error whose message is its one-line diagnosis, so the process
 * stops with it instead of retrying forever. Other failures pass through unchanged.
 */
export async function connectOrExplain<C>(
  connect: () => Promise<C>,
  config: TemporalConnectionConfig,
): Promise<C> {
  try {
    return await connect();
  } catch (error) {
    const diagnosis = diagnoseConnectionError(error, config);
    // No `cause`: the SDK's transport error under it would make it look retryable again.
    if (diagnosis.permanent) throw new Error(diagnosis.line);
    throw error;
  }
}
