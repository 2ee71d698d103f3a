import { types } from 'cassandra-driver';
import { insertValues, versionedUpdate, type VersionedTable } from './versioned';

const table: VersionedTable = {
  name: 'subscriptions',
  key: 'id',
  columns: ['status', 'paused_at', 'cancel_reason', 'version'],
};
const paused = new Date('2026-02-10T00:00:00Z');

describe('insertValues', () => {
  it('binds absent values unset (no tombstone) and keeps every present one as it is', () => {
    const long = types.Long.fromNumber(3);
    expect(
      insertValues(['active', null, undefined, [], {}, ['c1'], { a: long }, paused, long, 0, '']),
    ).toEqual([
      'active',
      types.unset,
      types.unset,
      types.unset,
      types.unset,
      ['c1'],
      { a: long },
      paused,
      long,
      0,
      '',
    ]);
  });
});

describe('versionedUpdate', () => {
  it('leaves absent columns unset, on the condition that they are null already', () => {
    const update = versionedUpdate(table, ['active', null, null, 3], new Set());
    expect(update.cql).toBe(
      'UPDATE {ks}.subscriptions SET status = ?, paused_at = ?, cancel_reason = ?, version = ? WHERE id = ? ' +
        'IF version < ? AND paused_at = null AND cancel_reason = null',
    );
    expect(update.values).toEqual(['active', types.unset, types.unset, 3]);
    expect(update.unsetColumns).toEqual(['paused_at', 'cancel_reason']);
  });

  it('binds null (the tombstone that clears it) only to an absent column known to be set', () => {
    const update = versionedUpdate(table, ['active', null, null, 4], new Set(['paused_at']));
    expect(update.cql).toMatch(/ IF version < \? AND cancel_reason = null$/);
    expect(update.values).toEqual(['active', null, types.unset, 4]);
    expect(update.unsetColumns).toEqual(['cancel_reason']);
  });

  it('with every value present is the plain version guard', () => {
    const update = versionedUpdate(table, ['paused', paused, 'why', 5], new Set(['paused_at']));
    expect(update.cql).toMatch(/ IF version < \?$/);
    expect(update.values).toEqual(['paused', paused, 'why', 5]);
  });
});
