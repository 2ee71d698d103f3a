import { loadExeca } from '../execa';
import { moduleAccessArgs } from './cassandra-jvm';

/** Where nodetool runs from: the JVM and classpath the local Cassandra runs with. */
export interface NodetoolRuntime {
  readonly java: string;
  readonly classpath: string;
}

/** One node's state as `nodetool status` prints it: `UN` is up and normal. */
export interface RingMember {
  readonly address: string;
  readonly state: string;
}

/**
 * Runs Cassandra's own nodetool (in the cassandra-all jar the nodes run from) against the node
 * whose local JMX listens on `jmxPort`; resolves with its output, rejects with it on failure.
 * Bounded by `timeoutMs`: a repair on a loaded machine takes seconds, a hung JMX call never ends.
 */
export async function nodetool(
  runtime: NodetoolRuntime,
  jmxPort: number,
  args: readonly string[],
  timeoutMs = 300_000,
): Promise<string> {
  const { execa } = await loadExeca();
  const result = await execa(
    runtime.java,
    [
      '-Xmx256m',
      ...moduleAccessArgs(),
      '-cp',
      runtime.classpath,
      'org.apache.cassandra.tools.NodeTool',
      '-h',
      '127.0.0.1',
      '-p',
      String(jmxPort),
      ...args,
    ],
    { reject: false, all: true, timeout: timeoutMs },
  );
  if (result.exitCode !== 0 || result.timedOut) {
    const why = result.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${result.exitCode}`;
    throw new Error(`nodetool ${args.join(' ')} on JMX port ${jmxPort}: ${why}\n${result.all}`);
  }
  return result.all;
}

/** The members `nodetool status` lists, with their two-letter state (UN, DN, UJ…). */
export function parseStatus(output: string): RingMember[] {
  return output
    .split('\n')
    .map((line) => /^([UD][NLJM])\s+(\d+\.\d+\.\d+\.\d+)/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ state: m[1] ?? '', address: m[2] ?? '' }));
}

/** The ring as the node on `jmxPort` sees it; empty when it does not answer (not up yet). */
export async function ringMembers(
  runtime: NodetoolRuntime,
  jmxPort: number,
  timeoutMs = 30_000,
): Promise<RingMember[]> {
  return parseStatus(await nodetool(runtime, jmxPort, ['status'], timeoutMs).catch(() => ''));
}

/** What `nodetool repair --preview` found: in sync, or how much a repair would stream. */
export interface PreviewSummary {
  readonly inSync: boolean;
  /** "47 ranges, 14 sstables, 35.734KiB bytes" when out of sync. */
  readonly streaming: string | undefined;
}

export function parsePreview(output: string): PreviewSummary {
  const inSync = /Previewed data was in sync/.test(output);
  const streaming = /Total estimated streaming: (.+)/.exec(output)?.[1]?.trim();
  if (!inSync && !streaming)
    throw new Error(
      `nodetool repair --preview said neither "in sync" nor what to stream:\n${output}`,
    );
  return { inSync, streaming: inSync ? undefined : streaming };
}

/** One keyspace repaired: what a preview found before, how long the repair took, and after. */
export interface KeyspaceRepair {
  readonly keyspace: string;
  readonly before: PreviewSummary;
  readonly repairMs: number;
  readonly after: PreviewSummary;
}

/** Polls `nodetool status` until `nodes` members are up and normal (UN), or throws. */
export async function waitForRing(
  runtime: NodetoolRuntime,
  jmxPort: number,
  nodes: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: RingMember[] = [];
  while (Date.now() < deadline) {
    last = await ringMembers(runtime, jmxPort);
    if (last.length === nodes && last.every((m) => m.state === 'UN')) return;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  throw new Error(
    `the ring did not come back to ${nodes} nodes up and normal in ${timeoutMs} ms: ` +
      (last.map((m) => `${m.address} ${m.state}`).join(', ') || 'no answer from nodetool status'),
  );
}

/**
 * A full repair of `keyspace` run from the node on `jmxPort`, between two previews: the first
 * says how far the replicas had drifted (writes a down node missed and no hint covered), the
 * second must say they are in sync. With replication factor = nodes, that node holds every range,
 * so one repair covers the keyspace.
 */
export async function repairKeyspace(
  runtime: NodetoolRuntime,
  jmxPort: number,
  keyspace: string,
): Promise<KeyspaceRepair> {
  const preview = async () =>
    parsePreview(await nodetool(runtime, jmxPort, ['repair', '--preview', '--full', keyspace]));
  const before = await preview();
  const t0 = Date.now();
  await nodetool(runtime, jmxPort, ['repair', '--full', keyspace]);
  const repairMs = Date.now() - t0;
  return { keyspace, before, repairMs, after: await preview() };
}
