import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Charge, Subscription } from '../api/types';
import { fakeApi, json, problem, type Handler } from '../testing/fake-api';
import { charge, page, subscription, usd } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

/** A subscription whose state and ledger the test changes as the API would. */
function subscriptionApi(overrides: Record<string, Handler> = {}) {
  const state: { subscription: Subscription; charges: Charge[] } = {
    subscription: subscription(),
    charges: [
      charge(1, 1, 'succeeded', '2026-06-01T12:00:00.000Z'),
      charge(2, 1, 'declined', '2026-06-01T12:00:04.000Z'),
    ],
  };
  const api = fakeApi({
    'GET /v1/subscriptions/{subscriptionId}': () => json(200, state.subscription),
    'GET /v1/subscriptions/{subscriptionId}/charges': () => json(200, page(state.charges)),
    ...overrides,
  });
  return { ...api, state };
}

describe('the subscription page', () => {
  it('shows status, price, interval, the next charge in both zones, and a link to its workflow', async () => {
    const { fetch } = subscriptionApi();
    renderConsole({
      fetch,
      path: '/subscriptions/sub_1',
      config: { temporalUiUrl: 'http://ui.test', namespace: 'default' },
    });
    const details = await screen.findByRole('region', { name: 'Details' });
    expect(within(details).getByText('$10.00 every 4 seconds')).toBeTruthy();
    expect(within(details).getByText('Europe/Paris')).toBeTruthy();
    const next = within(details).getByTestId('next-charge').textContent?.replace(/\s/g, ' ');
    // 12:00:16Z: 2:00:16 PM in Paris (summer time), and in the viewer's zone (UTC in the tests).
    expect(next).toContain('2:00:16 PM GMT+2 (subscription’s zone)');
    expect(next).toContain('12:00:16 PM UTC (your zone, UTC)');
    expect(next).toContain('in 3 seconds');
    expect(
      screen
        .getByRole('link', { name: 'Workflow in Temporal (opens in a new tab)' })
        .getAttribute('href'),
    ).toBe('http://ui.test/namespaces/default/workflows/subscription%3Adev~sub_1');
  });

  it('shows charges in its timeline, and a new one without a reload', async () => {
    const { fetch, state } = subscriptionApi();
    renderConsole({
      fetch,
      path: '/subscriptions/sub_1',
      poll: { live: 40, overview: false, list: false },
    });
    const timeline = await screen.findByRole('list', { name: 'Timeline' });
    await within(timeline).findByText('Period 2 charge declined');
    expect(
      within(timeline)
        .getAllByRole('listitem')
        .map((li) => li.querySelector('.timeline-title')?.textContent),
    ).toEqual(['Next charge', 'Period 2 charge declined', 'Period 1 charge succeeded']);
    state.charges = [...state.charges, charge(2, 2, 'succeeded', '2026-06-01T12:00:08.000Z')];
    expect(await within(timeline).findByText('Retry 1 for period 2 succeeded')).toBeTruthy();
  });

  it('shows who paused and resumed it in its timeline, from its change history', async () => {
    const { fetch } = subscriptionApi({
      'GET /v1/subscriptions/{subscriptionId}/events': () =>
        json(
          200,
          page([
            {
              at: '2026-06-01T12:00:06.000Z',
              action: 'resumed',
              actor: 'env:dev',
              requestId: 'req-2',
              status: 200,
            },
            {
              at: '2026-06-01T12:00:02.000Z',
              action: 'paused',
              actor: 'key:key_0123456789abcdef',
              requestId: 'req-1',
              status: 200,
            },
          ]),
        ),
    });
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    const timeline = await screen.findByRole('list', { name: 'Timeline' });
    await within(timeline).findByText('Resumed');
    expect(
      within(timeline)
        .getAllByRole('listitem')
        .map((li) => [
          li.querySelector('.timeline-title')?.textContent,
          [...li.querySelectorAll('.timeline-detail')].map((p) => p.textContent).at(-1),
        ]),
    ).toEqual([
      ['Next charge', '$10.00'],
      ['Resumed', 'by env:dev'],
      ['Period 2 charge declined', '$10.00 · reason: card declined'],
      ['Paused', 'by key key_0123456789abcdef'],
      ['Period 1 charge succeeded', '$10.00'],
    ]);
  });

  it('shows the timeline without the history when the key may not read it (403)', async () => {
    const { fetch, sent } = subscriptionApi({
      'GET /v1/subscriptions/{subscriptionId}/events': () =>
        problem(403, 'Forbidden', 'This key lacks subscriptions:read'),
    });
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    const timeline = await screen.findByRole('list', { name: 'Timeline' });
    await within(timeline).findByText('Period 2 charge declined');
    await waitFor(() => expect(sent('GET', '/v1/subscriptions/sub_1/events')).toHaveLength(1));
    expect(
      within(timeline)
        .getAllByRole('listitem')
        .map((li) => li.querySelector('.timeline-title')?.textContent),
    ).toEqual(['Next charge', 'Period 2 charge declined', 'Period 1 charge succeeded']);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('cancels now after a confirmation, with the reason given', async () => {
    const { fetch, sent, state } = subscriptionApi({
      'POST /v1/subscriptions/{subscriptionId}/cancel': () => {
        state.subscription = subscription({
          status: 'canceled',
          nextChargeAt: null,
          cancel: { effectiveAt: '2026-06-01T12:00:13.000Z', reason: 'asked by phone' },
        });
        return json(200, { subscriptionId: 'sub_1', effectiveAt: '2026-06-01T12:00:13.000Z' });
      },
    });
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel now' }));
    const dialog = await screen.findByRole('dialog', { name: 'Cancel this subscription now?' });
    const reason = within(dialog).getByLabelText('Reason (optional)');
    expect(document.activeElement).toBe(reason);
    fireEvent.change(reason, { target: { value: 'asked by phone' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, cancel now' }));
    expect(
      await screen.findByText('This subscription has ended: there is nothing left to change.'),
    ).toBeTruthy();
    const [request] = sent('POST', '/v1/subscriptions/sub_1/cancel');
    expect(request?.body).toEqual({ mode: 'now', reason: 'asked by phone' });
    expect(screen.getByTestId('announcer').textContent).toBe('Subscription canceled.');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('changes the price in the subscription’s currency, from the next period', async () => {
    const { fetch, sent } = subscriptionApi({
      'POST /v1/subscriptions/{subscriptionId}/price': () =>
        json(200, { subscriptionId: 'sub_1', fromPeriod: 4 }),
    });
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    fireEvent.click(await screen.findByRole('button', { name: 'Change price' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change the price' });
    const input = within(dialog).getByLabelText('New price (USD)');
    expect((input as HTMLInputElement).value).toBe('10.00');
    fireEvent.change(input, { target: { value: '12.5' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, change the price' }));
    const actions = screen.getByRole('region', { name: 'Actions' });
    expect(await within(actions).findByText('New price $12.50 from period 4.')).toBeTruthy();
    expect(sent('POST', '/v1/subscriptions/sub_1/price')[0]?.body).toEqual({ price: usd(1250) });
  });

  it('confirms a change again with the first key after an unknown outcome, so the API applies it once', async () => {
    const { fetch, sent } = subscriptionApi({
      'POST /v1/subscriptions/{subscriptionId}/price': ({ n }) =>
        n === 0
          ? problem(503, 'Service Unavailable', 'the change may still be applied')
          : json(200, { subscriptionId: 'sub_1', fromPeriod: 4 }),
    });
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    const change = async (value: string) => {
      fireEvent.click(await screen.findByRole('button', { name: 'Change price' }));
      const dialog = await screen.findByRole('dialog', { name: 'Change the price' });
      fireEvent.change(within(dialog).getByLabelText('New price (USD)'), {
        target: { value },
      });
      fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, change the price' }));
      return dialog;
    };
    const dialog = await change('12.5');
    await within(dialog).findByRole('alert');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, change the price' }));
    const actions = screen.getByRole('region', { name: 'Actions' });
    await within(actions).findByText('New price $12.50 from period 4.');
    // A new change after the success: a new key.
    await change('13');
    await waitFor(() => expect(sent('POST', '/v1/subscriptions/sub_1/price')).toHaveLength(3));
    const keys = sent('POST', '/v1/subscriptions/sub_1/price').map((r) =>
      r.headers.get('Idempotency-Key'),
    );
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('pauses and resumes, and shows the API’s refusal inside the dialog as a sentence', async () => {
    const { fetch, state } = subscriptionApi({
      'POST /v1/subscriptions/{subscriptionId}/pause': ({ n }) => {
        if (n === 0) return problem(409, 'Conflict', 'cannot pause: the subscription is past_due');
        state.subscription = subscription({
          status: 'paused',
          pausedAt: '2026-06-01T12:00:12.000Z',
          nextChargeAt: null,
        });
        return json(200, state.subscription);
      },
      'POST /v1/subscriptions/{subscriptionId}/resume': () => {
        state.subscription = subscription();
        return json(200, state.subscription);
      },
    });
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    const pause = await screen.findByRole('button', { name: 'Pause' });
    pause.focus();
    fireEvent.click(pause);
    const dialog = await screen.findByRole('dialog', { name: 'Pause billing?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, pause' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe(
      'Cannot pause: the subscription is past_due.',
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, pause' }));
    expect(await screen.findByRole('button', { name: 'Resume' })).toBeTruthy();
    // The Pause button that opened the dialog is gone: focus is on what happened.
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Subscription paused.'));
    expect(within(screen.getByRole('list', { name: 'Timeline' })).getByText('Paused')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    fireEvent.click(
      within(await screen.findByRole('dialog', { name: 'Resume billing?' })).getByRole('button', {
        name: 'Yes, resume',
      }),
    );
    expect(await screen.findByRole('button', { name: 'Pause' })).toBeTruthy();
  });

  it('offers only what the API accepts in each state', async () => {
    const buttons = async (s: Subscription) => {
      const { fetch } = fakeApi({
        'GET /v1/subscriptions/{subscriptionId}': () => json(200, s),
        'GET /v1/subscriptions/{subscriptionId}/charges': () => json(200, page([])),
      });
      const view = renderConsole({ fetch, path: '/subscriptions/sub_1' });
      const actions = await screen.findByRole('region', { name: 'Actions' });
      const names = within(actions)
        .queryAllByRole('button')
        .map((b) => b.textContent);
      view.unmount();
      return names;
    };
    expect(await buttons(subscription())).toEqual([
      'Pause',
      'Change price',
      'Cancel at period end',
      'Cancel now',
    ]);
    expect(await buttons(subscription({ status: 'past_due' }))).toEqual([
      'Change price',
      'Cancel at period end',
      'Cancel now',
    ]);
    expect(
      await buttons(subscription({ status: 'paused', pausedAt: '2026-06-01T12:00:00.000Z' })),
    ).toEqual(['Resume', 'Change price', 'Cancel at period end', 'Cancel now']);
    expect(
      await buttons(
        subscription({ cancel: { effectiveAt: '2026-06-01T12:00:16.000Z', reason: null } }),
      ),
    ).toEqual(['Cancel now']);
    expect(await buttons(subscription({ status: 'completed', nextChargeAt: null }))).toEqual([]);
  });

  it('closes a dialog with its dismiss button and gives focus back to what opened it', async () => {
    const { fetch, sent } = subscriptionApi();
    renderConsole({ fetch, path: '/subscriptions/sub_1' });
    const opener = await screen.findByRole('button', { name: 'Cancel at period end' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = await screen.findByRole('dialog', {
      name: 'Cancel at the end of the current period?',
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Go back' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(opener);
    expect(sent('POST', '/v1/subscriptions/sub_1/cancel')).toHaveLength(0);
  });
});
