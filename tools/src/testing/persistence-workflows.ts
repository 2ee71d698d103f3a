// Workflows that exercise Temporal's persistence rather than business logic: durable timers
// (the durability test and the benchmark's timer lag) and Updates on one workflow (Updates/s).
import { condition, defineSignal, defineUpdate, setHandler, sleep } from '@temporalio/workflow';

/**
 * Sleeps `count` times for `intervalMs` and returns, per timer, how late it fired: workflow time
 * is the start of the workflow task that saw the timer fire, so this is the fire lag as a worker
 * observes it (never negative; a timer fired twice would show as a second entry).
 */
export async function timers(input: { count: number; intervalMs: number }): Promise<number[]> {
  const lags: number[] = [];
  for (let i = 0; i < input.count; i++) {
    const before = Date.now();
    await sleep(input.intervalMs);
    lags.push(Date.now() - before - input.intervalMs);
  }
  return lags;
}

export const incrementUpdate = defineUpdate<number, [number]>('increment');
export const doneSignal = defineSignal('done');

/** Counts what its `increment` Updates add, until the `done` signal; returns the total. */
export async function counter(): Promise<number> {
  let total = 0;
  let done = false;
  setHandler(incrementUpdate, (n) => (total += n));
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return total;
}
