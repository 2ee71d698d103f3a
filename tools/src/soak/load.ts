/**
 * The soak's load, only through the HTTP API: customers, subscriptions with second-long periods
 * (approving, declining and decline-once cards; cancels of both modes, price changes, pause and
 * resume), and purchases across customers with concurrent and late duplicates and a few hot
 * customers. Every loop is bounded by the profile's counts and the load window.
 */
import { seededRandom } from '@invincible/activities/testing';
import { GaveUp, type Answer, type SoakClient } from './client';
import type { Card, Knowledge, PurchaseSent, SubscriptionKnown } from './knowledge';
import type { SoakProfile } from './profiles';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The same seed gives the same load plan (the fault harness's generator). */
export const prng = seededRandom;

export interface LoadContext {
  readonly client: SoakClient;
  readonly profile: SoakProfile;
  readonly knowledge: Knowledge;
  readonly random: () => number;
  readonly runId: string;
  /** Epoch ms the load window opens and closes. */
  readonly startedAt: number;
  readonly endsAt: number;
}

/** Sends a request; a request that never got an answer is noted as such (its effect unknown). */
async function attempt<T>(
  ctx: LoadContext,
  route: string,
  send: () => Promise<Answer<T>>,
): Promise<Answer<T> | undefined> {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof GaveUp)) throw error;
    ctx.knowledge.gaveUp.push({ route, at: Date.now() });
    return undefined;
  }
}

function surprise(ctx: LoadContext, route: string, answer: Answer, expected: readonly number[]) {
  if (expected.includes(answer.status)) return false;
  ctx.knowledge.surprises.push({
    route,
    status: answer.status,
    detail: JSON.stringify(answer.body).slice(0, 300),
  });
  return true;
}

export async function createCustomers(ctx: LoadContext): Promise<void> {
  const { profile, knowledge, client, runId } = ctx;
  const ids = Array.from({ length: profile.customers }, (_, i) => `cus_${runId}_${i}`);
  // A few at a time: creation is one repository write each.
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(
      ids.slice(i, i + 8).map(async (id, j) => {
        const route = 'POST /v1/customers';
        const answer = await attempt(ctx, route, () =>
          client.send(route, 'POST', '/v1/customers', {
            id,
            email: `${id}@example.com`,
            name: `Soak customer ${i + j}`,
          }),
        );
        // 409: a retry after the first attempt's answer was lost (it exists: what we wanted).
        if (answer && !surprise(ctx, route, answer, [200, 201, 409])) {
          knowledge.customers.push({ id, hot: i + j < profile.hotCustomers });
        }
      }),
    );
  }
}

function pickCard(random: () => number): Card {
  const r = random();
  if (r < 0.55) return 'pm_card_visa';
  if (r < 0.7) return 'pm_card_mastercard';
  if (r < 0.85) return 'pm_card_declined';
  return 'pm_card_declined_once';
}

/** Starts every subscription, then plays each one's plan of changes inside the load window. */
export async function runSubscriptions(ctx: LoadContext): Promise<void> {
  const { profile, knowledge, client, random, runId } = ctx;
  const customers = knowledge.customers;
  if (customers.length === 0) return;
  const plans: Promise<void>[] = [];
  for (let i = 0; i < profile.subscriptions; i++) {
    const customer = customers[i % customers.length];
    if (!customer) continue;
    const card = pickCard(random);
    const startAt = Math.ceil((Date.now() + 2_000) / 1_000) * 1_000;
    const s: SubscriptionKnown = {
      key: `soak-${runId}-sub-${i}`,
      customerId: customer.id,
      card,
      price: 1_000 + 10 * i,
      currency: 'USD',
      startAt,
      periodSeconds: profile.periodSeconds,
      priceChanges: [],
    };
    const route = 'POST /v1/subscriptions';
    const answer = await attempt(ctx, route, () =>
      client.send<{ id: string }>(
        route,
        'POST',
        '/v1/subscriptions',
        {
          customerId: s.customerId,
          paymentMethod: card,
          price: { amountMinor: s.price, currency: s.currency },
          interval: { unit: 'second', count: s.periodSeconds },
          startAt: new Date(startAt).toISOString(),
        },
        s.key,
      ),
    );
    if (!answer || staleStart(answer, s) || surprise(ctx, route, answer, [200, 201])) continue;
    s.id = answer.body.id;
    knowledge.subscriptions.push(s);
    if (card === 'pm_card_visa' || card === 'pm_card_mastercard') {
      plans.push(playPlan(ctx, s, random()));
    }
  }
  await Promise.all(plans);
}

/**
 * A start that no attempt delivered before an outage ended, retried once its `startAt` lies more
 * than one period back: the API refuses a new start that would bill several past periods at once
 * (422) and creates nothing — it never refuses the retry of a start it applied (the key is read
 * first). That is the documented answer to this client's stale request, not a surprise.
 */
function staleStart(answer: Answer, s: SubscriptionKnown): boolean {
  return (
    answer.status === 422 &&
    answer.attempts > 1 &&
    Date.now() - s.startAt > s.periodSeconds * 1_000 &&
    /more than one past period/.test(JSON.stringify(answer.body))
  );
}

/** One of: nothing, cancel now, cancel at period end, a price change, a pause and a resume. */
async function playPlan(ctx: LoadContext, s: SubscriptionKnown, r: number): Promise<void> {
  const base = Date.now();
  const window = ctx.endsAt - base;
  const at = (share: number) => sleep(base + window * share - Date.now());
  const id = s.id as string;
  const key = (op: string) => `${s.key}-${op}`;
  if (r < 0.25) return;
  if (r < 0.4 || r >= 0.9) {
    const mode = r < 0.4 ? 'now' : 'at_period_end';
    await at(0.3 + 0.4 * ((r * 7) % 1));
    const route = 'POST /v1/subscriptions/{id}/cancel';
    const answer = await attempt(ctx, route, () =>
      ctx.client.send<{ effectiveAt: string }>(
        route,
        'POST',
        `/v1/subscriptions/${id}/cancel`,
        { mode, reason: 'soak' },
        key('cancel'),
      ),
    );
    if (answer && !surprise(ctx, route, answer, [200]))
      s.cancel = { mode, effectiveAt: Date.parse(answer.body.effectiveAt) };
    return;
  }
  if (r < 0.65) {
    for (const [n, share] of [0.25, 0.6].entries()) {
      await at(share);
      const price = s.price + 500 * (n + 1);
      const route = 'POST /v1/subscriptions/{id}/price';
      const answer = await attempt(ctx, route, () =>
        ctx.client.send<{ fromPeriod: number }>(
          route,
          'POST',
          `/v1/subscriptions/${id}/price`,
          { price: { amountMinor: price, currency: s.currency } },
          key(`price-${n}`),
        ),
      );
      if (answer && !surprise(ctx, route, answer, [200]))
        s.priceChanges.push({ price, fromPeriod: answer.body.fromPeriod });
    }
    return;
  }
  // Pause, then resume a few periods later.
  await at(0.3);
  const pauseRoute = 'POST /v1/subscriptions/{id}/pause';
  const paused = await attempt(ctx, pauseRoute, () =>
    ctx.client.send<{ pausedAt: string | null }>(
      pauseRoute,
      'POST',
      `/v1/subscriptions/${id}/pause`,
      undefined,
      key('pause'),
    ),
  );
  if (!paused || surprise(ctx, pauseRoute, paused, [200])) return;
  if (!paused.body.pausedAt) {
    // "The subscription after the change" without the change: the answer broke its contract.
    ctx.knowledge.surprises.push({ route: pauseRoute, status: 200, detail: 'no pausedAt' });
    return;
  }
  s.pause = { pausedAt: Date.parse(paused.body.pausedAt) };
  await sleep(s.periodSeconds * 2_500);
  const resumeRoute = 'POST /v1/subscriptions/{id}/resume';
  const sentAt = Date.now();
  const resumed = await attempt(ctx, resumeRoute, () =>
    ctx.client.send(
      resumeRoute,
      'POST',
      `/v1/subscriptions/${id}/resume`,
      undefined,
      key('resume'),
    ),
  );
  if (resumed && !surprise(ctx, resumeRoute, resumed, [200]))
    s.pause.resume = { sentAt, answeredAt: Date.now() };
}

/**
 * Cancels (now) every subscription the plan left running, so the settle phase has an end: no
 * period falls due after it, and every charge and its effects can be checked as final.
 */
export async function windDown(ctx: LoadContext): Promise<void> {
  const route = 'POST /v1/subscriptions/{id}/cancel';
  await Promise.all(
    ctx.knowledge.subscriptions
      .filter((s) => s.id && !s.cancel)
      .map(async (s) => {
        const answer = await attempt(ctx, route, () =>
          ctx.client.send<{ effectiveAt: string }>(
            route,
            'POST',
            `/v1/subscriptions/${s.id}/cancel`,
            { mode: 'now', reason: 'soak over' },
            `${s.key}-wind-down`,
          ),
        );
        // 409: ended already (a completed or declined-and-canceled subscription).
        if (answer && !surprise(ctx, route, answer, [200, 409]) && answer.status === 200)
          s.cancel = { mode: 'now', effectiveAt: Date.parse(answer.body.effectiveAt) };
      }),
  );
}

/**
 * Purchases at the profile's rate until the window closes: a share of them sent twice at once,
 * a share sent again later (same purchaseId: a client retrying after losing the answer), hot
 * customers taking `hotShare` of all. At most `maxInFlight` requests wait at once.
 */
export async function runPurchases(ctx: LoadContext, maxInFlight = 64): Promise<void> {
  const { profile, knowledge, client, random, runId } = ctx;
  const customers = knowledge.customers;
  const hot = customers.filter((c) => c.hot);
  const cold = customers.filter((c) => !c.hot);
  if (customers.length === 0) return;
  const interval = 1_000 / profile.purchasesPerSecond;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  const send = (p: PurchaseSent) => {
    inFlight++;
    const route = 'POST /v1/customers/{id}/purchases';
    const done = attempt(ctx, route, () =>
      client.send(route, 'POST', `/v1/customers/${p.customerId}/purchases`, {
        purchaseId: p.purchaseId,
        total: p.total,
        currency: p.currency,
      }),
    ).then((answer) => {
      inFlight--;
      if (!answer) return;
      surprise(ctx, route, answer, [200, 201]);
      // The first definitive answer of the purchase is the one the client acts on.
      if (p.status === undefined || (p.status >= 300 && answer.status < 300)) {
        p.status = answer.status;
        p.latencyMs = answer.ms;
      }
    });
    pending.push(done);
  };
  for (let n = 0; Date.now() < ctx.endsAt; n++) {
    const next = ctx.startedAt + n * interval;
    await sleep(next - Date.now());
    if (inFlight >= maxInFlight) continue;
    const pool = hot.length > 0 && random() < profile.hotShare ? hot : cold.length ? cold : hot;
    const customer = pool[Math.floor(random() * pool.length)];
    if (!customer) continue;
    const p: PurchaseSent = {
      customerId: customer.id,
      purchaseId: `ord-${runId}-${n}`,
      total: 100 + Math.floor(random() * 9_900),
      currency: 'USD',
      sentAt: Date.now(),
    };
    knowledge.purchases.push(p);
    send(p);
    const r = random();
    if (r < profile.concurrentDuplicateShare) send(p);
    else if (r < profile.concurrentDuplicateShare + profile.lateDuplicateShare) {
      const later = 3_000 + random() * 10_000;
      pending.push(sleep(Math.min(later, ctx.endsAt - Date.now())).then(() => send(p)));
    }
  }
  // Late duplicates add to `pending` while earlier ones settle.
  for (let settled = 0; settled < pending.length;) {
    const batch = pending.slice(settled);
    settled = pending.length;
    await Promise.all(batch);
  }
}
