import { types } from 'cassandra-driver';
import type { LoyaltyAccount, SubscriptionProjection } from '../model/entities';

/**
 * The statements and bound values of the CQL adapter's writes, kept apart from the adapter so
 * the values a write binds can be checked without a database.
 *
 * A bound `null` is not "nothing": Cassandra stores it as a tombstone, which every read of the row
 * then skips until compaction purges it. A value that is absent is therefore bound as the driver's
 * `unset` (protocol v4, prepared statements), which writes no cell at all — correct wherever no
 * older value can be there to clear: an `INSERT … IF NOT EXISTS` that applies, or an `UPDATE`
 * whose condition says the column is null already.
 */

/** A table written by `saveVersioned`: its key and columns (`version` among them), in bind order. */
export interface VersionedTable {
  readonly name: string;
  readonly key: string;
  readonly columns: readonly string[];
}

/** True for a value an insert leaves out: null, undefined, an empty list or an empty map. */
function absent(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  // A plain object is a CQL map; a Date, Long or Buffer is not (a Date has no own keys either).
  return (
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).length === 0
  );
}

/**
 * The values of an `INSERT … IF NOT EXISTS`, absent ones `unset`: the insert applies only where
 * there is no row, so there is nothing to clear, and a null would only add a tombstone (a
 * non-frozen collection bound `[]` writes a collection tombstone and nothing else). Reads map a
 * missing cell back to null, `[]` or `{}`.
 */
export function insertValues(values: readonly unknown[]): unknown[] {
  return values.map((v) => (absent(v) ? types.unset : v));
}

/** The statements of a versioned table, derived from its descriptor. */
export function versionedStatements(table: VersionedTable) {
  const all = [...table.columns, table.key];
  return {
    insert: `INSERT INTO {ks}.${table.name} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')}) IF NOT EXISTS`,
    /** Update guarded by the stored version: `<` (only over older) or `=` (compare-and-set). */
    update: (guard: '<' | '=') =>
      `UPDATE {ks}.${table.name} SET ${table.columns.map((c) => `${c} = ?`).join(', ')} WHERE ${table.key} = ? IF version ${guard} ?`,
    select: `SELECT * FROM {ks}.${table.name} WHERE ${table.key} = ?`,
  };
}

/**
 * The save of a newer version over an older row, without a tombstone for what stays absent:
 * `UPDATE … IF version < ? AND c = null …`. Each column the projection has no value for is bound
 * `unset` and conditioned to be null already — unless it is in `clear` (seen set in the stored
 * row: a resume clearing `paused_at`), where it is bound null, the tombstone that clears it.
 *
 * If the stored row holds a value in a column left unset, the update does not apply and its
 * result row names that column: the caller adds it to `clear` and tries again. So an update that
 * applies leaves every absent column null, whatever was stored, and the common save (nothing to
 * clear) is one Paxos round with no tombstone. Params: `[...values, key, version]`.
 */
export function versionedUpdate(
  table: VersionedTable,
  values: readonly unknown[],
  clear: ReadonlySet<string>,
): { readonly cql: string; readonly values: unknown[]; readonly unsetColumns: string[] } {
  const unsetColumns = table.columns.filter((c, i) =>
    values[i] === null || values[i] === undefined ? !clear.has(c) : false,
  );
  const conditions = ['version < ?', ...unsetColumns.map((c) => `${c} = null`)];
  return {
    cql: `UPDATE {ks}.${table.name} SET ${table.columns.map((c) => `${c} = ?`).join(', ')} WHERE ${table.key} = ? IF ${conditions.join(' AND ')}`,
    values: table.columns.map((c, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) return v;
      return clear.has(c) ? null : types.unset;
    }),
    unsetColumns,
  };
}

/** Versioned tables: key and columns, in the order of the value lists built below. */
export const SUBSCRIPTIONS: VersionedTable = {
  name: 'subscriptions',
  key: 'id',
  columns: [
    'customer_id',
    'status',
    'price_minor',
    'currency',
    'interval_unit',
    'interval_count',
    'anchor_at',
    'time_zone',
    'next_charge_at',
    'periods_billed',
    'canceled_at',
    'cancel_effective_at',
    'cancel_reason',
    'paused_at',
    'version',
    'updated_at',
  ],
};
export const LOYALTY_ACCOUNTS: VersionedTable = {
  name: 'loyalty_accounts',
  key: 'customer_id',
  columns: [
    'balance',
    'lifetime_points',
    'coupons_issued',
    'coupons_redeemed',
    'version',
    'updated_at',
  ],
};

const long = (n: number) => types.Long.fromNumber(n);

/** A subscription projection's values, in `SUBSCRIPTIONS.columns` order. */
export const subscriptionValues = (s: SubscriptionProjection): unknown[] => [
  s.customerId,
  s.status,
  long(s.price.amountMinor),
  s.price.currency,
  s.interval.unit,
  s.interval.count,
  s.anchorAt,
  s.timeZone,
  s.nextChargeAt,
  s.periodsBilled,
  s.canceledAt,
  s.cancelEffectiveAt,
  s.cancelReason,
  s.pausedAt,
  long(s.version),
  s.updatedAt,
];
/** A loyalty account's values, in `LOYALTY_ACCOUNTS.columns` order. */
export const accountValues = (a: LoyaltyAccount): unknown[] => [
  long(a.balance),
  long(a.lifetimePoints),
  long(a.couponsIssued),
  long(a.couponsRedeemed),
  long(a.version),
  a.updatedAt,
];
