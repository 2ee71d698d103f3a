import { screen, within } from '@testing-library/react';
import type { Overview } from '../api/types';
import { fakeApi, json } from '../testing/fake-api';
import { renderConsole } from '../testing/render-console';

const overview = (overrides: Partial<Overview> = {}): Overview => ({
  subscriptions: { trialing: 1, active: 12, past_due: 2, paused: 1, canceled: 4, completed: 0 },
  charges: {
    days: [
      {
        date: '2026-05-30',
        succeeded: 3,
        declined: 0,
        revenue: [{ amountMinor: 3000, currency: 'USD' }],
      },
      {
        date: '2026-05-31',
        succeeded: 5,
        declined: 1,
        revenue: [
          { amountMinor: 900, currency: 'EUR' },
          { amountMinor: 4000, currency: 'USD' },
        ],
      },
      { date: '2026-06-01', succeeded: 0, declined: 0, revenue: [] },
    ],
  },
  coupons: { issued: 7, redeemed: 3 },
  findings: null,
  scanned: { subscriptions: 20, customers: 9, complete: true },
  asOf: '2026-06-01T12:00:00.000Z',
  ...overrides,
});

describe('the overview', () => {
  it('shows counts by status, the charges chart, revenue per currency, coupons', async () => {
    const { fetch } = fakeApi({ 'GET /v1/overview': () => json(200, overview()) });
    renderConsole({ fetch, path: '/' });
    const byStatus = await screen.findByRole('region', { name: 'Subscriptions by status' });
    const stats = within(byStatus)
      .getAllByRole('term')
      .map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`);
    expect(stats).toEqual([
      'Active: 12',
      'Trialing: 1',
      'Past due: 2',
      'Paused: 1',
      'Canceled: 4',
      'Completed: 0',
    ]);

    const charges = screen.getByRole('region', { name: 'Charges over the last 3 days' });
    const chart = within(charges).getByRole('img', {
      name: 'Charges per day over 3 days: 8 succeeded, 1 declined',
    });
    expect(chart.querySelectorAll('rect.chart-bar')).toHaveLength(6);
    expect(
      chart.querySelectorAll('rect.chart-bar-declined')[1]?.querySelector('title')?.textContent,
    ).toBe('May 31: 1 declined');
    expect(within(charges).getByText('€9.00, $70.00')).toBeTruthy();
    const coupons = screen.getByRole('region', { name: 'Coupons' });
    expect(within(coupons).getByText('7')).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Reconciliation' })).getByText(/admin keys/),
    ).toBeTruthy();
  });

  it('says when the figures come from part of the data only', async () => {
    const { fetch } = fakeApi({
      'GET /v1/overview': () =>
        json(
          200,
          overview({
            scanned: { subscriptions: 5000, customers: 5000, complete: false },
            findings: { open: 2 },
          }),
        ),
    });
    renderConsole({ fetch, path: '/' });
    expect(
      await screen.findByText(
        'Counted from the first 5,000 subscriptions and 5,000 customers only: the totals may be higher.',
      ),
    ).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Reconciliation' })).getByText('2'),
    ).toBeTruthy();
  });
});
