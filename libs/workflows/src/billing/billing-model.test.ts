import { createBillingModel, initialState, type ChargeAttempt } from './billing-model';
import { chargeAt, firstPeriodAfter, firstPeriodAtOrAfter, type BillingSchedule } from './calendar';
import type { SubscriptionInput, SubscriptionState } from './contract';

const MIN = 60_000;
const T0 = Date.UTC(2030, 0, 1, 9);
const input: SubscriptionInput = {
  subscriptionId: 'sub-1',
  customerId: 'cus-1',
  customerEmail: 'ada@example.com',
  paymentMethod: 'pm_card_visa',
  price: { amountMinor: 1000, currency: 'USD' },
  interval: { unit: 'minute', count: 1 },
  startAt: new Date(T0).toISOString(),
  timeZone: 'UTC',
};
const schedule: BillingSchedule = {
  anchorAt: new Date(T0),
  timeZone: 'UTC',
  interval: { unit: 'minute', count: 1 },
};
const model = createBillingModel({
  subscriptionId: 'sub-1',
  customerId: 'cus-1',
  customerEmail: 'ada@example.com',
  schedule,
  maxPeriods: null,
});
const at = (n: number) => chargeAt(schedule, n).getTime();
const ok = { outcome: 'succeeded', providerRef: 'ch', failureCode: null } as const;
const declined = { outcome: 'declined', providerRef: null, failureCode: 'card_declined' } as const;

/** Charges every step the model asks for up to `until` (a worker that keeps up). */
function runUntil(s0: SubscriptionState, until: number): SubscriptionState {
  let s = s0;
  for (let i = 0; i < 1000; i++) {
    const step = model.nextStep(s);
    if (step.kind === 'done' || step.kind === 'await-message' || step.at > until) return s;
    if (step.kind === 'cancel-takes-effect') s = model.cancelTakesEffect(s).state;
    else s = model.afterCharge(s, step, ok, Math.max(step.at, 0)).state;
  }
  throw new Error('did not settle');
}

function chargesOf(s0: SubscriptionState, until: number): ChargeAttempt[] {
  const charged: ChargeAttempt[] = [];
  let s = s0;
  for (let i = 0; i < 1000; i++) {
    const step = model.nextStep(s);
    if (step.kind === 'done' || step.kind === 'await-message' || step.at > until) return charged;
    if (step.kind === 'cancel-takes-effect') s = model.cancelTakesEffect(s).state;
    else {
      charged.push({ period: step.period, attempt: step.attempt, amount: step.amount });
      s = model.afterCharge(s, step, ok, until).state;
    }
  }
  throw new Error('did not settle');
}

describe('firstPeriodAfter / firstPeriodAtOrAfter', () => {
  it('is exact at, before and after charge instants', () => {
    expect(firstPeriodAfter(schedule, T0 - 1)).toBe(1);
    expect(firstPeriodAfter(schedule, T0)).toBe(2);
    expect(firstPeriodAtOrAfter(schedule, T0)).toBe(1);
    expect(firstPeriodAfter(schedule, at(7) - 1)).toBe(7);
    expect(firstPeriodAtOrAfter(schedule, at(7) + 1)).toBe(8);
  });

  it('a per-second subscription paused for a year: computed at once, not iterated', () => {
    const perSecond = { ...schedule, interval: { unit: 'second' as const, count: 1 } };
    const year = 365 * 86_400_000;
    const began = performance.now();
    // A linear scan would evaluate chargeAt 31.5 million times (seconds of CPU).
    expect(firstPeriodAfter(perSecond, T0 + year)).toBe(year / 1000 + 2);
    expect(firstPeriodAtOrAfter(perSecond, T0 + year)).toBe(year / 1000 + 1);
    expect(performance.now() - began).toBeLessThan(50);
  });

  it('monthly from Jan 31 (clamped months) agrees with a linear scan', () => {
    const monthly = { ...schedule, interval: { unit: 'month' as const, count: 1 } };
    monthly.anchorAt = new Date(Date.UTC(2030, 0, 31, 9));
    for (const probe of [
      Date.UTC(2030, 1, 28, 9),
      Date.UTC(2031, 6, 1),
      Date.UTC(2035, 2, 31, 9),
    ]) {
      let linear = 1;
      while (chargeAt(monthly, linear).getTime() <= probe) linear++;
      expect(firstPeriodAfter(monthly, probe)).toBe(linear);
    }
  });
});

describe('the billing model', () => {
  const start = initialState(input);

  it('pins the policy at start', () => {
    expect(start.policy).toEqual({ dunningDays: [1, 3, 5, 7], periodsPerRun: 12 });
    expect(initialState({ ...input, dunningDays: [2], periodsPerRun: 3 }).policy).toEqual({
      dunningDays: [2],
      periodsPerRun: 3,
    });
  });

  it('defect 12: the pinned policy decides, not the defaults of the running code', () => {
    // A subscription started when the defaults were other: its state carries its own policy.
    const pinned = { ...start, policy: { dunningDays: [2], periodsPerRun: 5 } };
    const step = model.nextStep(pinned);
    if (step.kind !== 'charge') throw new Error('expected a charge');
    const first = model.afterCharge(pinned, step, declined, at(1)).state;
    expect(first.dunning?.retryAt).toBe(new Date(at(1) + 2 * 86_400_000).toISOString());
    const retry = model.nextStep(first);
    if (retry.kind !== 'charge') throw new Error('expected the retry');
    // One retry in its policy (the default has four): the second decline ends it.
    expect(model.afterCharge(first, retry, declined, retry.at).state).toMatchObject({
      status: 'canceled',
      cancel: { reason: 'unpaid' },
    });
  });

  it('defect 1: cancel now keeps the overdue periods owed (charged), nothing from the cancel on', () => {
    const s1 = runUntil(start, at(1)); // period 1 charged; the worker then lags
    const c = at(5) + 10_000; // periods 2–5 are due, uncharged
    const { state } = model.cancel(s1, { mode: 'now', reason: 'r' }, c, null);
    expect(state.cancel?.effectiveAt).toBe(new Date(c).toISOString());
    expect(chargesOf(state, c + 10 * MIN).map((a) => a.period)).toEqual([2, 3, 4, 5]);
  });

  it('defect 2: cancel at period end with a period due (or in flight) answers its end, not a past instant', () => {
    const s1 = runUntil(start, at(5)); // periods 1–5 charged
    const t = at(6) + 5_000; // period 6 due, in flight
    const inFlight = { period: 6, attempt: 1, amount: input.price };
    const { effectiveAt, state } = model.cancel(
      s1,
      { mode: 'at_period_end', reason: 'r' },
      t,
      inFlight,
    );
    expect(effectiveAt).toBe(new Date(at(7)).toISOString());
    expect(new Date(effectiveAt).getTime()).toBeGreaterThan(t);
    const after6 = model.afterCharge(state, inFlight, ok, t + 1).state;
    expect(chargesOf(after6, at(20))).toEqual([]);
    expect(model.nextStep(runUntil(after6, at(20))).kind).toBe('done');
  });

  it('defect 3: a price change while a period is in flight names the next period', () => {
    const s1 = runUntil(start, at(2));
    const inFlight = { period: 3, attempt: 1, amount: input.price };
    const { fromPeriod, state } = model.changePrice(
      s1,
      { amountMinor: 2000, currency: 'USD' },
      inFlight,
    );
    expect(fromPeriod).toBe(4);
    const after3 = model.afterCharge(state, inFlight, ok, at(3)).state;
    expect(chargesOf(after3, at(5)).map((a) => [a.period, a.amount.amountMinor])).toEqual([
      [4, 2000],
      [5, 2000],
    ]);
  });

  it('defect 4: resume skips only periods due inside the pause; those due before it stay owed', () => {
    const s1 = runUntil(start, at(1)); // period 1 charged; 2 and 3 due but not charged (lag)
    const paused = model.pause(s1, at(3) + 1_000).state;
    // While paused, the periods due before the pause are still charged.
    expect(model.nextStep(paused)).toMatchObject({ kind: 'charge', period: 2 });
    const resumed = model.resume(paused, at(8) + 1_000).state;
    expect(resumed.nextChargeAt).toBe(new Date(at(2)).toISOString());
    expect(chargesOf(resumed, at(10)).map((a) => a.period)).toEqual([2, 3, 9, 10]);
  });

  it('defect 11: in dunning, nextChargeAt is the retry instant', () => {
    const step = model.nextStep(start);
    if (step.kind !== 'charge') throw new Error('expected a charge');
    const { state } = model.afterCharge(start, step, declined, at(1));
    expect(state.status).toBe('past_due');
    expect(state.nextChargeAt).toBe(new Date(at(1) + 86_400_000).toISOString());
  });

  it('defect 10: two cancellations are two emails with their own dates', () => {
    const s1 = runUntil(start, at(1));
    const first = model.cancel(s1, { mode: 'at_period_end', reason: 'r' }, at(1) + 1_000, null);
    const second = model.cancel(first.state, { mode: 'now', reason: 'r' }, at(1) + 2_000, null);
    const [a] = first.emails;
    const [b] = second.emails;
    expect(a?.id).not.toBe(b?.id);
    expect(b?.data['effectiveAt']).toBe(new Date(at(1) + 2_000).toISOString());
  });

  it('a decline whose retry would fall after the cancel takes effect is final', () => {
    const s1 = model.cancel(start, { mode: 'at_period_end', reason: 'r' }, T0 - 1_000, null).state;
    expect(s1.cancel?.effectiveAt).toBe(new Date(at(1)).toISOString());
    expect(model.nextStep(s1)).toEqual({ kind: 'cancel-takes-effect', at: at(1) });
  });

  it('dunning exhausted: canceled as unpaid, effective at the unpaid period', () => {
    let s = initialState({ ...input, dunningDays: [1] });
    for (let i = 0; i < 2; i++) {
      const step = model.nextStep(s);
      if (step.kind !== 'charge') throw new Error('expected a charge');
      s = model.afterCharge(s, step, declined, step.at).state;
    }
    expect(s.status).toBe('canceled');
    expect(s.cancel).toMatchObject({
      reason: 'unpaid',
      effectiveAt: new Date(at(1)).toISOString(),
    });
    expect(model.nextStep(s).kind).toBe('done');
  });
});
