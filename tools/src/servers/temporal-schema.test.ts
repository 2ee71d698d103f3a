import type { TemporalCassandraConnection } from '../config';
import { classifySchemaFailure, schemaSteps, schemaToolEnv } from './temporal-schema';

const local: TemporalCassandraConnection = {
  via: 'local',
  hosts: ['127.0.0.1'],
  port: 19042,
  username: undefined,
  password: undefined,
  tls: undefined,
  datacenter: undefined,
  disableInitialHostLookup: false,
};
const remote: TemporalCassandraConnection = {
  ...local,
  via: 'hosts',
  hosts: ['cassandra-1.internal', 'cassandra-2.internal'],
  port: 9142,
  username: 'temporal',
  password: 's3cret',
  tls: { caFile: '/etc/ca.pem', serverName: undefined },
};
const proxy: TemporalCassandraConnection = {
  ...local,
  via: 'proxy',
  port: 9044,
  disableInitialHostLookup: true,
};

// What temporal-cassandra-tool 1.29.1 prints, as captured from real runs.
const TOOL = {
  refused:
    '2026/11/25 15:21:03 gocql: unable to dial control conn 127.0.0.1:39999: dial tcp 127.0.0.1:39999: connect: connection refused\n' +
    '2026-11-25T15:21:03.192Z\t\u001b[31mERROR\u001b[0m\tUnable to establish CQL session.\t{"error": "gocql: unable to create session: unable to connect to initial hosts: dial tcp 127.0.0.1:39999: connect: connection refused", "logging-call-at": "handler.go:35"}\n',
  silent:
    '2026-11-25T15:21:54.314Z\t\u001b[31mERROR\u001b[0m\tUnable to establish CQL session.\t{"error": "gocql: unable to create session: unable to connect to initial hosts: gocql: no response received from cassandra within timeout period", "logging-call-at": "handler.go:118"}\n',
  dns:
    '2026/11/25 15:21:41 gocql: dns error: lookup nosuchhost.invalid on 10.255.255.53:53: no such host\n' +
    '2026-11-25T15:21:41.922Z\t\u001b[31mERROR\u001b[0m\tUnable to establish CQL session.\t{"error": "gocql: unable to create session: failed to resolve any of the provided hostnames", "logging-call-at": "handler.go:35"}\n',
  tooNew:
    '2026-11-25T15:21:10.668Z\t\u001b[31mERROR\u001b[0m\tUnable to update CQL schema.\t{"error": "error listing schema dir:start version \'1.14\' must be less than end version \'1.13\'", "logging-call-at": "handler.go:61"}\n',
  noKeyspace:
    '2026/11/25 15:21:10 error: failed to connect to "[HostInfo hostname=\\"127.0.0.1\\" port=39042]" due to error: Keyspace \'nosuch\' does not exist\n' +
    '2026-11-25T15:21:10.836Z\t\u001b[31mERROR\u001b[0m\tUnable to establish CQL session.\t{"error": "no connections were made when creating the session", "logging-call-at": "handler.go:35"}\n',
  auth: '2026-11-25T15:21:10.836Z\tERROR\tUnable to establish CQL session.\t{"error": "gocql: unable to create session: unable to discover protocol version: Provided username and/or password are incorrect", "logging-call-at": "handler.go:35"}\n',
  other:
    '2026-11-25T15:21:10.836Z\tERROR\tUnable to update CQL schema.\t{"error": "error executing statement: \\"boom\\"", "logging-call-at": "handler.go:61"}\n',
};

const classify = (output: string, cassandra = local, keyspace = 'temporal') =>
  classifySchemaFailure('update-schema', output, { keyspace, cassandra }).message;

describe('classifySchemaFailure', () => {
  it('names the variables that move Cassandra when it refuses the connection', () => {
    expect(classify(TOOL.refused)).toBe(
      "Temporal's Cassandra at 127.0.0.1:19042 refused the connection: start it, or fix CASSANDRA_PORT (the local Cassandra), or TEMPORAL_CASSANDRA_HOSTS / _PORT for another cluster",
    );
    expect(classify(TOOL.refused, remote)).toMatch(
      /at cassandra-1\.internal,cassandra-2\.internal:9142 refused the connection: start it, or fix TEMPORAL_CASSANDRA_HOSTS \/ TEMPORAL_CASSANDRA_PORT$/,
    );
    expect(classify(TOOL.refused, proxy)).toBe(
      'the CQL proxy at 127.0.0.1:9044 refused the connection: start it, or fix TEMPORAL_CASSANDRA_PROXY (the CQL proxy in front of Astra DB)',
    );
  });

  it('tells a silent port (not Cassandra, or firewalled) from a refused one', () => {
    expect(classify(TOOL.silent, remote)).toMatch(
      /did not answer CQL within 10 s \(unreachable, or not a Cassandra native-protocol port\): fix TEMPORAL_CASSANDRA_HOSTS/,
    );
  });

  it('names the host that does not resolve', () => {
    expect(classify(TOOL.dns, remote)).toBe(
      'cannot resolve nosuchhost.invalid: fix the host name in TEMPORAL_CASSANDRA_HOSTS / TEMPORAL_CASSANDRA_PORT',
    );
  });

  it('refuses a schema newer than the binary, naming both versions', () => {
    expect(classify(TOOL.tooNew)).toBe(
      'keyspace temporal holds Temporal schema 1.14, newer than 1.13 of the Temporal server v1.29.1 here: run a server of that version, or choose another keyspace with TEMPORAL_CASSANDRA_KEYSPACE',
    );
  });

  it('says how to get a missing keyspace', () => {
    expect(classify(TOOL.noKeyspace, proxy, 'nosuch')).toMatch(
      /^keyspace nosuch does not exist at 127\.0\.0\.1:9044: create it \(Astra DB: in its console\) or .*TEMPORAL_CASSANDRA_CREATE_KEYSPACE=true$/,
    );
  });

  it('points at the credentials when they are rejected', () => {
    expect(classify(TOOL.auth, remote)).toMatch(
      /rejected the credentials: fix TEMPORAL_CASSANDRA_USERNAME \/ TEMPORAL_CASSANDRA_PASSWORD$/,
    );
  });

  it("falls back to the tool's own error, on one line", () => {
    const message = classify(TOOL.other);
    expect(message).toBe(
      'Temporal\'s Cassandra schema step update-schema failed at 127.0.0.1:19042 (keyspace temporal): error executing statement: "boom"',
    );
    expect(message).not.toContain('\n');
  });
});

describe('schemaSteps', () => {
  it('checks the connection, creates the keyspace, sets up versioning and upgrades to the exact version', () => {
    const steps = schemaSteps({
      keyspace: 'temporal',
      createKeyspace: true,
      replicationFactor: 1,
      cassandra: local,
    });
    expect(steps.map((s) => s.name)).toEqual([
      'connect',
      'create-keyspace',
      'setup-schema',
      'update-schema',
    ]);
    expect(steps[0]?.args).toEqual(expect.arrayContaining(['--timeout', '10', 'validate-health']));
    expect(steps[1]?.args.slice(-5)).toEqual([
      'create-keyspace',
      '--keyspace',
      'temporal',
      '--replication-factor',
      '1',
    ]);
    expect(steps[2]?.args.slice(-3)).toEqual(['setup-schema', '--version', '0.0']);
    expect(steps[3]?.args.slice(-5)).toEqual([
      'update-schema',
      '--schema-name',
      'cassandra/temporal',
      '--version',
      '1.13',
    ]);
    expect(steps[3]?.args.slice(0, 4)).toEqual(['--endpoint', '127.0.0.1', '--port', '19042']);
  });

  it('creates no keyspace where it is made elsewhere, and passes TLS and proxy flags', () => {
    const viaProxy = schemaSteps({
      keyspace: 'ks',
      createKeyspace: false,
      replicationFactor: 1,
      cassandra: proxy,
    });
    expect(viaProxy.map((s) => s.name)).toEqual(['connect', 'setup-schema', 'update-schema']);
    expect(viaProxy[1]?.args).toContain('--disable-initial-host-lookup');
    const tls = schemaSteps({
      keyspace: 'ks',
      createKeyspace: true,
      replicationFactor: 3,
      cassandra: remote,
    });
    expect(tls[1]?.args).toEqual(expect.arrayContaining(['--tls', '--tls-ca-file', '/etc/ca.pem']));
    // Credentials never appear on a command line.
    expect(tls.flatMap((s) => s.args).join(' ')).not.toMatch(/s3cret|--user|--password/);
  });
});

describe('schemaToolEnv', () => {
  it("passes PATH, HOME and the credentials only — never the stack's CASSANDRA_* variables", () => {
    expect(
      schemaToolEnv(remote, {
        PATH: '/bin',
        HOME: '/home/dev',
        CASSANDRA_PORT: '9042',
        CASSANDRA_KEYSPACE: 'invincible',
      }),
    ).toEqual({
      PATH: '/bin',
      HOME: '/home/dev',
      CASSANDRA_USER: 'temporal',
      CASSANDRA_PASSWORD: 's3cret',
    });
  });
});
