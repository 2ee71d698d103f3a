/**
 * The soak's report: a terminal table, and the same in Markdown and HTML (with a plot of charge
 * lateness and purchase latency over time, faults marked) and JSON, in the report directory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyspaceRepair } from '../servers/nodetool';
import type { Violation } from './checks';

export interface FaultRecord {
  /** Seconds after load started. */
  readonly at: number;
  readonly kind: string;
  readonly target: string;
  /** Until the target was ready again (restarted or thawed and answering). */
  readonly recoveryMs: number | null;
  /** Until the first purchase after the fault was answered 2xx. */
  readonly serviceGapMs: number | null;
  /**
   * Answers other than 2xx/4xx (503s, network errors) to attempts sent from the fault until the
   * target was back, and of all attempts sent then: what the outage cost the clients.
   */
  readonly unavailable?: { readonly failed: number; readonly sent: number };
}

export interface SoakReport {
  readonly profile: string;
  readonly seed: number;
  readonly startedAt: string;
  readonly durations: Record<string, number>;
  readonly counts: Record<string, number>;
  readonly statuses: Record<string, number>;
  readonly faults: readonly FaultRecord[];
  readonly deaths: readonly { readonly at: number; readonly process: string }[];
  readonly invariants: readonly { readonly name: string; readonly broken: number }[];
  /** A local cluster's soak: its size, and each keyspace's repair after the faults. */
  readonly cluster?: {
    readonly cassandraNodes: number;
    readonly historyShards: number;
    readonly repairs: readonly KeyspaceRepair[];
  };
  readonly violations: readonly Violation[];
  /** What the workflows and the ledger say of the subscriptions named in violations. */
  readonly diagnostics: Record<string, unknown>;
  readonly series: {
    readonly chargeLateness: readonly (readonly [number, number])[];
    readonly purchaseLatency: readonly (readonly [number, number])[];
  };
}

/** The invariants the soak checks, in the order the report lists them. */
export const INVARIANTS = [
  'one charge per period',
  'every elapsed period charged',
  'nothing after cancel',
  'nothing inside a pause',
  'nothing before due',
  'charged at its price',
  'declines never charged',
  'declines recorded',
  'ledger ↔ gateway',
  'anchor as asked',
  'every purchase counted',
  'points per purchase',
  'nothing counted twice or unasked',
  'points for every charge',
  'balance = Σ ledger',
  'one coupon per crossing',
  'one email per event',
  'no workflow stuck',
  'no 5xx but 503',
  'no process died on its own',
  'every request answered',
  'answers as documented',
  'reconciliation finds nothing',
] as const;

/** Checked on a local cluster only: after the faults, a full repair leaves replicas in sync. */
export const CLUSTER_INVARIANT = 'cluster repaired and in sync';

const repairRows = (r: SoakReport): string[][] => [
  ['keyspace', 'before repair', 'repair took', 'after repair'],
  ...(r.cluster?.repairs ?? []).map((k) => [
    k.keyspace,
    k.before.inSync ? 'in sync' : `${k.before.streaming ?? '?'} to stream`,
    seconds(k.repairMs),
    k.after.inSync ? 'in sync' : `${k.after.streaming ?? '?'} to stream`,
  ]),
];

const unavailable = (f: FaultRecord) =>
  f.unavailable ? `${f.unavailable.failed} of ${f.unavailable.sent}` : '—';

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1_000).toFixed(1)} s`);

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

export function terminalReport(r: SoakReport): string {
  const broken = r.invariants.filter((i) => i.broken > 0);
  return [
    `soak ${r.profile} (seed ${r.seed}): ${broken.length === 0 ? 'every invariant held' : `${broken.length} invariant(s) BROKEN`}`,
    '',
    table([
      ['invariant', 'result'],
      ...r.invariants.map((i) => [i.name, i.broken ? `BROKEN ×${i.broken}` : 'held']),
    ]),
    '',
    table([['count', 'value'], ...Object.entries(r.counts).map(([k, v]) => [k, String(v)])]),
    ...(r.cluster
      ? [
          '',
          `cluster: ${r.cluster.cassandraNodes} Cassandra nodes, Temporal with ${r.cluster.historyShards} history shards`,
          table(repairRows(r)),
        ]
      : []),
    '',
    table([
      ['HTTP status', 'attempts'],
      ...Object.entries(r.statuses).map(([k, v]) => [k, String(v)]),
    ]),
    '',
    table([
      ['fault (s after start)', 'target', 'back after', 'service gap', 'unavailable while down'],
      ...r.faults.map((f) => [
        `${f.at.toFixed(0)} ${f.kind}`,
        f.target,
        seconds(f.recoveryMs),
        seconds(f.serviceGapMs),
        unavailable(f),
      ]),
    ]),
    ...(r.deaths.length
      ? [
          '',
          `processes that died on their own: ${r.deaths.map((d) => `${d.process} at ${d.at.toFixed(0)} s`).join(', ')}`,
        ]
      : []),
    ...(r.violations.length
      ? [
          '',
          'first violations:',
          ...r.violations.slice(0, 20).map((v) => `  [${v.invariant}] ${v.entity}: ${v.detail}`),
        ]
      : []),
    '',
    `durations: ${Object.entries(r.durations)
      .map(([k, v]) => `${k} ${seconds(v)}`)
      .join(', ')}`,
  ].join('\n');
}

function markdown(r: SoakReport): string {
  const md = (rows: readonly (readonly string[])[]) =>
    [rows[0], rows[0]?.map(() => '---'), ...rows.slice(1)]
      .map((row) => `| ${(row ?? []).join(' | ')} |`)
      .join('\n');
  return [
    `# Soak report — profile ${r.profile}, seed ${r.seed}, ${r.startedAt}`,
    '',
    md([
      ['invariant', 'result'],
      ...r.invariants.map((i) => [i.name, i.broken ? `**BROKEN ×${i.broken}**` : 'held']),
    ]),
    '',
    md([['count', 'value'], ...Object.entries(r.counts).map(([k, v]) => [k, String(v)])]),
    '',
    ...(r.cluster
      ? [
          `Cluster: ${r.cluster.cassandraNodes} Cassandra nodes, Temporal with ${r.cluster.historyShards} history shards.`,
          '',
          md(repairRows(r)),
          '',
        ]
      : []),
    md([
      ['HTTP status', 'attempts'],
      ...Object.entries(r.statuses).map(([k, v]) => [k, String(v)]),
    ]),
    '',
    md([
      ['at (s)', 'fault', 'target', 'back after', 'service gap', 'unavailable while down'],
      ...r.faults.map((f) => [
        f.at.toFixed(0),
        f.kind,
        f.target,
        seconds(f.recoveryMs),
        seconds(f.serviceGapMs),
        unavailable(f),
      ]),
    ]),
    '',
    ...(r.violations.length
      ? [
          '## Violations',
          '',
          ...r.violations.slice(0, 200).map((v) => `- [${v.invariant}] ${v.entity}: ${v.detail}`),
          '',
        ]
      : []),
    `Durations: ${Object.entries(r.durations)
      .map(([k, v]) => `${k} ${seconds(v)}`)
      .join(', ')}.`,
    '',
    'The plot is in report.html.',
    '',
  ].join('\n');
}

/** Two scatter panels over the same time axis, faults as vertical lines. */
function svgPlot(r: SoakReport): string {
  const width = 960;
  const panel = 220;
  const margin = 50;
  const xs = [
    ...r.series.chargeLateness.map(([t]) => t),
    ...r.series.purchaseLatency.map(([t]) => t),
    ...r.faults.map((f) => f.at),
    1,
  ];
  const maxT = Math.max(...xs);
  const x = (t: number) => margin + (t / maxT) * (width - 2 * margin);
  const draw = (
    title: string,
    points: readonly (readonly [number, number])[],
    top: number,
    color: string,
  ) => {
    const maxY = Math.max(1, ...points.map(([, v]) => v));
    const y = (v: number) => top + panel - (Math.max(0, v) / maxY) * panel;
    return [
      `<text x="${margin}" y="${top - 8}" font-size="13">${title} (max ${(maxY / 1_000).toFixed(2)} s)</text>`,
      `<line x1="${margin}" y1="${top + panel}" x2="${width - margin}" y2="${top + panel}" stroke="#999"/>`,
      ...points.map(
        ([t, v]) =>
          `<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="1.8" fill="${color}" fill-opacity="0.6"/>`,
      ),
    ].join('\n');
  };
  const height = 2 * panel + 3 * margin;
  const faults = r.faults
    .map(
      (f) =>
        `<line x1="${x(f.at).toFixed(1)}" y1="${margin - 20}" x2="${x(f.at).toFixed(1)}" y2="${height - 20}" stroke="#d33" stroke-dasharray="4 3"/>` +
        `<text x="${(x(f.at) + 3).toFixed(1)}" y="${height - 8}" font-size="10" fill="#d33">${f.kind}</text>`,
    )
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    draw('charge lateness after the period instant', r.series.chargeLateness, margin, '#2a6'),
    draw(
      'purchase latency (first send → definitive answer)',
      r.series.purchaseLatency,
      2 * margin + panel,
      '#36c',
    ),
    faults,
    `<text x="${width - margin}" y="${height - 30}" font-size="11" text-anchor="end">seconds after load started (0–${maxT.toFixed(0)})</text>`,
    '</svg>',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

/** Writes report.md, report.html and report.json into `dir`. */
export function writeReport(dir: string, r: SoakReport): void {
  writeFileSync(join(dir, 'report.json'), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, 'report.md'), markdown(r));
  writeFileSync(
    join(dir, 'report.html'),
    `<!doctype html><meta charset="utf-8"><title>Soak ${r.profile}</title>` +
      `<body style="font-family:sans-serif;max-width:1000px;margin:auto">` +
      `${svgPlot(r)}<pre>${escapeHtml(terminalReport(r))}</pre></body>`,
  );
}
