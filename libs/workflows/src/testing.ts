/** Test support of the workflows lib (`@invincible/workflows/testing`); never imported by workflow code. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import type { Payload, PayloadCodec, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import Long from 'long';
import { PAYLOAD_CONVERTER_SOURCE, SEARCH_ATTRIBUTE_KEYS } from './index';

/**
 * Starts Temporal's Java time-skipping test server through the executable `npm test` provisions
 * (TEMPORAL_TEST_SERVER_PATH): the SDK's own download of the server needs the internet.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env['TEMPORAL_TEST_SERVER_PATH'];
  if (!path) {
    throw new Error(
      'TEMPORAL_TEST_SERVER_PATH is not set: run workflow suites through their int-test target (`npx nx run <project>:int-test`) or `npm test`.',
    );
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  // The workflows set custom search attributes, and the test server refuses a start or an upsert
  // naming one it does not know, as a real server does. It keeps them server-wide (whatever the
  // namespace), cannot list them (UNIMPLEMENTED), and answers ALREADY_EXISTS to a second add.
  for (const { name, type } of SEARCH_ATTRIBUTE_KEYS) {
    await env.connection.operatorService
      .addSearchAttributes({
        namespace: env.namespace ?? 'default',
        searchAttributes: { [name]: indexedValueType(type) },
      })
      .catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
      });
  }
  return env;
}

const ALREADY_EXISTS = 6; // gRPC status code

/** The server's enum value for a search attribute type. */
function indexedValueType(type: SearchAttributeType) {
  const value = encodeSearchAttributeIndexedValueType(type);
  if (value === undefined) throw new TypeError(`unknown search attribute type ${type}`);
  return value;
}

/**
 * Registers the custom search attributes the workflows set (SEARCH_ATTRIBUTE_KEYS) in a
 * namespace of a real test server, as the stack does for its own: `temporal server start-dev
 * --search-attribute` covers only the namespaces it creates at start. Waits until they are listed.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map(({ name, type }) => [name, indexedValueType(type)]),
    ),
  });
  for (let i = 0; i < 100; i++) {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace,
    });
    if (SEARCH_ATTRIBUTE_KEYS.every(({ name }) => customAttributes[name] !== undefined)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the search attributes of namespace ${namespace} were not listed in time`);
}

/**
 * Reads a variable the int-test global setup sets once the shared test servers answer; a suite run
 * without them fails with this message instead of being skipped.
 */
export function requireTestEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run this suite through its int-test target (\`npx nx run <project>:int-test\`) or \`npm test\`.`,
    );
  }
  return value;
}

/** One of the real Temporal servers `npm test` runs for the end-to-end suites. */
export interface TemporalTestServer {
  /** For test titles: `dev server` or `Temporal on Cassandra`. */
  readonly name: string;
  /** Short and distinct, to keep the keyspaces and ids of one suite apart per server. */
  readonly tag: string;
  readonly address: string;
}

/**
 * The dev server (SQLite) and the Temporal server persisted on Cassandra that `npm test` starts,
 * for `describe.each`: every end-to-end suite runs on both. Either address missing fails the
 * suite, naming it — never a silent skip.
 */
export function temporalTestServers(): TemporalTestServer[] {
  return [
    {
      name: 'dev server',
      tag: 'd',
      address: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS'),
    },
    {
      name: 'Temporal on Cassandra',
      tag: 'c',
      address: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_CASSANDRA_ADDRESS'),
    },
  ];
}

/**
 * Registers a namespace of a suite's own on a shared test server, with the custom search
 * attributes the workflows set, and waits until it is usable.
 */
export async function createTestNamespace(
  connection: Connection,
  namespace: string,
): Promise<void> {
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
  });
  // A new namespace takes a moment to reach the server's namespace cache.
  for (let i = 0; i < 100; i++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    return registerSearchAttributes(connection, namespace);
  }
  throw new Error(`namespace ${namespace} did not become usable`);
}

/**
 * Workflows path of a fixture registering `subscription` as the pre-`billing-exactly-once` loop:
 * executions it starts are what a deploy finds running (tests of the migration to the new loop).
 */
export const LEGACY_BILLING_WORKFLOWS_FIXTURE =
  require.resolve('./testing/fixtures/legacy-subscription-workflows');

/** The recorded histories in `dir` (`<name>.json`), sorted by name. */
export function loadHistories(
  dir: string,
): { readonly workflowId: string; readonly history: unknown }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown,
    }));
}

/**
 * The payload key of the histories recorded encrypted (`RECORD_ENCRYPTED=1 npm run
 * record:histories`, files `<scenario>.encrypted.json`), as `PAYLOAD_CODEC_KEYS` reads it. It is
 * public on purpose: it seals test fixtures only, so that CI replays what a deployment with
 * payload encryption writes. Never use it for real data.
 */
export const REPLAY_FIXTURE_CODEC_KEYS =
  'replay-fixtures:70bhOyAX6PKF3h2gCrzLWtS8ebOfibKRnXggp+YzMNw=';

/** Replays `histories` against the workflow code at `workflowsPath`; returns one line per failure. */
export async function replayFailures(
  workflowsPath: string,
  histories: readonly { readonly workflowId: string; readonly history: unknown }[],
  /**
   * The workers' interceptors and sinks (tracing), so histories replay as in production, and
   * their payload codecs (decryption), for histories recorded encrypted.
   */
  options: Pick<ReplayWorkerOptions, 'interceptors' | 'sinks'> & {
    readonly payloadCodecs?: PayloadCodec[];
  } = {},
): Promise<string[]> {
  const failures: string[] = [];
  const { payloadCodecs, ...workerOptions } = options;
  // The workers' payload converter, as in production: recorded rejected messages decode the same.
  const dataConverter = {
    payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE),
    ...(payloadCodecs ? { payloadCodecs } : {}),
  };
  for await (const result of Worker.runReplayHistories(
    { ...workerOptions, workflowsPath, dataConverter },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}

/** A payload as a history's JSON holds it: metadata values and data in base64. */
interface JsonPayload {
  readonly metadata?: Record<string, string>;
  readonly data?: string;
}

function isJsonPayload(value: unknown): value is JsonPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as JsonPayload).metadata?.['encoding'] === 'string'
  );
}

const fromBase64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64');

/**
 * The input a recorded history started with, decrypted by `codecs` when it was recorded
 * encrypted: a replay must run under the workflow id the input names.
 */
export async function recordedStartInput(
  history: unknown,
  codecs: readonly PayloadCodec[] = [],
): Promise<unknown> {
  const started = (history as { events?: Record<string, unknown>[] }).events?.[0]?.[
    'workflowExecutionStartedEventAttributes'
  ] as { input?: { payloads?: unknown[] } } | undefined;
  const recorded = started?.input?.payloads?.[0];
  if (!isJsonPayload(recorded)) throw new Error('a history without a recorded input');
  let payload: Payload = {
    metadata: Object.fromEntries(
      Object.entries(recorded.metadata ?? {}).map(([k, v]) => [k, fromBase64(v)]),
    ),
    data: fromBase64(recorded.data),
  };
  // Codecs decode in the reverse of their encoding order, as the SDK's data converter does.
  for (const codec of [...codecs].reverse()) {
    const [decoded] = await codec.decode([payload]);
    if (!decoded) throw new Error('a payload codec returned nothing');
    payload = decoded;
  }
  const encoding = Buffer.from(payload.metadata?.['encoding'] ?? []).toString('utf8');
  if (encoding !== 'json/plain') throw new Error(`a recorded input in ${encoding}, not json/plain`);
  return JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as unknown;
}

/**
 * The payloads of a history that are not encrypted (`<event type> <encoding>`), other than the
 * two kinds Temporal keeps in clear by design: search attributes (the server indexes them) and
 * the `patched()` markers' details (the patch ids).
 */
export function clearPayloads(history: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, event: string, path: readonly string[]): void => {
    if (isJsonPayload(value)) {
      const encoding = fromBase64(value.metadata?.['encoding']).toString('utf8');
      const byDesign = path.includes('searchAttributes') || path.includes('patch-data');
      if (encoding !== 'binary/encrypted' && !byDesign) found.push(`${event} ${encoding}`);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) visit(child, event, [...path, key]);
  };
  for (const event of (history as { events?: Record<string, unknown>[] }).events ?? []) {
    const type = event['eventType'];
    visit(event, typeof type === 'string' ? type : 'event', []);
  }
  return found;
}
