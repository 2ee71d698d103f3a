import { FaultLog, injectFaults, scriptedFaults, seededFaults } from './fault-injection';

class Unavailable extends Error {}

function store() {
  const rows = new Map<string, number>();
  return {
    rows,
    port: {
      put: (key: string, value: number) => {
        if (rows.has(key)) return Promise.resolve(false);
        rows.set(key, value);
        return Promise.resolve(true);
      },
      size: 42,
    },
  };
}

describe('injectFaults', () => {
  const error = (kind: string) => new Unavailable(kind);

  it('fails before applying, applies then loses the answer, or applies late — as scripted', async () => {
    const { rows, port } = store();
    const log = new FaultLog();
    const faulty = injectFaults(port, 'kv', {
      log,
      error,
      plan: scriptedFaults({
        'kv.put#1': 'fail-before',
        'kv.put#2': 'apply-then-fail',
        'kv.put#3': 'apply-late',
      }),
    });
    await expect(faulty.put('a', 1)).rejects.toThrow('fail-before');
    expect(rows.has('a')).toBe(false);
    await expect(faulty.put('b', 2)).rejects.toThrow('apply-then-fail');
    expect(rows.get('b')).toBe(2);
    await expect(faulty.put('c', 3)).rejects.toThrow('apply-late');
    expect(rows.has('c')).toBe(false);
    await log.settled();
    expect(rows.get('c')).toBe(3);
    await expect(faulty.put('d', 4)).resolves.toBe(true);
    expect(faulty.size).toBe(42);
    expect(log.calls).toBe(4);
    expect(log.faults).toBe(3);
    expect(log.byMethod.get('kv.put')).toBe(3);
  });

  it('gives the same schedule for the same seed, never more than maxConsecutive in a row', () => {
    const run = (seed: number) => {
      const plan = seededFaults({ seed, rate: 0.9, maxConsecutive: 2 });
      return Array.from({ length: 200 }, (_, i) => plan.decide({ port: 'p', method: 'm', seq: i }));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const schedule = run(7);
    for (let i = 2; i < schedule.length; i++) {
      expect(schedule[i] !== null && schedule[i - 1] !== null && schedule[i - 2] !== null).toBe(
        false,
      );
    }
  });
});
