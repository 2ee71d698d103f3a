import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeApi, json, problem, type Handler } from '../testing/fake-api';
import { ada, coupon, email, loyalty, page, purchase, subscription } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

/** Ada's account: one coupon to redeem, which the API redeems once. */
function adaApi(overrides: Record<string, Handler> = {}) {
  let redeemed = false;
  return fakeApi({
    'GET /v1/customers/{customerId}': ({ params }) =>
      params['customerId'] === 'cus_ada'
        ? json(200, ada)
        : problem(404, 'Not Found', `no customer ${params['customerId']}`),
    'GET /v1/customers/{customerId}/loyalty': () => json(200, loyalty()),
    'GET /v1/customers/{customerId}/coupons': () =>
      json(
        200,
        page([
          coupon(redeemed ? { status: 'redeemed', redeemedAt: '2026-06-01T12:00:10.000Z' } : {}),
        ]),
      ),
    'GET /v1/customers/{customerId}/purchases': () => json(200, page([purchase()])),
    'GET /v1/customers/{customerId}/emails': () => json(200, page([email()])),
    'GET /v1/customers/{customerId}/subscriptions': () => json(200, page([subscription()])),
    'POST /v1/customers/{customerId}/coupons/{couponId}/redeem': ({ params }) => {
      if (redeemed)
        return problem(409, 'Conflict', `coupon ${params['couponId']} is already redeemed`);
      redeemed = true;
      return json(200, coupon({ status: 'redeemed', redeemedAt: '2026-06-01T12:00:10.000Z' }));
    },
    ...overrides,
  });
}

describe('the customer page', () => {
  it('shows the profile, loyalty with progress to the next coupon, coupons, purchases, emails, subscriptions', async () => {
    const { fetch } = adaApi();
    renderConsole({
      fetch,
      path: '/customers/cus_ada',
      config: { temporalUiUrl: 'http://ui.test', namespace: 'default' },
    });
    expect(await screen.findByRole('heading', { name: 'Ada Lovelace', level: 1 })).toBeTruthy();
    expect(await screen.findByTestId('loyalty-balance')).toHaveProperty(
      'textContent',
      '2,500 points',
    );
    const progress = screen.getByRole('progressbar', { name: 'Progress to the next coupon' });
    expect(progress.getAttribute('aria-valuetext')).toBe('2,500 of 10,000 points');
    expect(screen.getByText(/7,500 more points to the next coupon/)).toBeTruthy();
    expect(await screen.findByRole('region', { name: 'Coupons' })).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Purchases' })).getByText('ord-1'),
    ).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Emails sent' })).getByText('You earned a coupon'),
    ).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Subscriptions' }))
        .getByRole('link', { name: 'sub_1' })
        .getAttribute('href'),
    ).toBe('/subscriptions/sub_1');
    expect(
      screen
        .getByRole('link', { name: 'Loyalty workflow in Temporal (opens in a new tab)' })
        .getAttribute('href'),
    ).toBe('http://ui.test/namespaces/default/workflows/loyalty%3Adev~cus_ada');
  });

  it('records a purchase in minor units and says what it earned', async () => {
    const { fetch, sent } = adaApi({
      'POST /v1/customers/{customerId}/purchases': ({ body }) =>
        json(201, {
          purchaseId: (body as { purchaseId: string }).purchaseId,
          points: 7_550,
          counted: true,
          couponsIssued: ['cus_ada:2'],
          balance: 50,
        }),
    });
    renderConsole({ fetch, path: '/customers/cus_ada' });
    const form = (await screen.findByRole('heading', { name: 'Record a purchase' })).closest(
      'form',
    ) as HTMLFormElement;
    fireEvent.change(within(form).getByLabelText('Purchase id'), { target: { value: 'order-77' } });
    fireEvent.change(within(form).getByLabelText('Amount'), { target: { value: '75.50' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Record purchase' }));
    expect(
      await within(form).findByText(
        'Purchase order-77 recorded: 7,550 points earned, balance 50. New coupon: cus_ada:2.',
      ),
    ).toBeTruthy();
    expect(sent('POST', '/v1/customers/cus_ada/purchases')[0]?.body).toEqual({
      purchaseId: 'order-77',
      total: 7_550,
      currency: 'USD',
    });
  });

  it('refuses an amount with too many decimals before sending anything', async () => {
    const { fetch, sent } = adaApi();
    renderConsole({ fetch, path: '/customers/cus_ada' });
    const form = (await screen.findByRole('heading', { name: 'Record a purchase' })).closest(
      'form',
    ) as HTMLFormElement;
    fireEvent.change(within(form).getByLabelText('Amount'), { target: { value: '1.999' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Record purchase' }));
    expect((await within(form).findByRole('alert')).textContent).toBe(
      'USD has 2 decimal places at most',
    );
    expect(sent('POST', '/v1/customers/cus_ada/purchases')).toHaveLength(0);
  });

  it('redeems a coupon after a confirmation, and shows the API’s refusal of a second redeem', async () => {
    const { fetch, sent } = adaApi();
    renderConsole({ fetch, path: '/customers/cus_ada' });
    fireEvent.click(await screen.findByRole('button', { name: 'Redeem coupon cus_ada:1' }));
    const dialog = await screen.findByRole('dialog', { name: 'Redeem coupon cus_ada:1?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Go back' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, redeem' }));
    const coupons = screen.getByRole('region', { name: 'Coupons' });
    expect(await within(coupons).findByText('Coupon cus_ada:1 redeemed ($5.00).')).toBeTruthy();
    // The row's button is gone once redeemed: focus is on what happened.
    await waitFor(() =>
      expect(document.activeElement?.textContent).toBe('Coupon cus_ada:1 redeemed ($5.00).'),
    );
    // Screen readers hear it wherever focus is.
    expect(screen.getByTestId('announcer').textContent).toBe('Coupon cus_ada:1 redeemed ($5.00).');
    await waitFor(() =>
      expect(screen.queryByRole('button', { name: 'Redeem coupon cus_ada:1' })).toBeNull(),
    );
    expect(
      sent('POST', '/v1/customers/cus_ada/coupons/cus_ada%3A1/redeem')[0]?.headers.get(
        'idempotency-key',
      ),
    ).toMatch(/^[0-9a-f]{32}$/);

    fireEvent.change(screen.getByLabelText('Coupon code'), { target: { value: 'cus_ada:1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Redeem code' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Coupon cus_ada:1 is already redeemed.');
  });

  it('says what the key may not read in that section only', async () => {
    const { fetch } = adaApi({
      'GET /v1/customers/{customerId}/emails': () =>
        problem(403, 'Forbidden', "This key's role (restricted) does not grant emails:read"),
    });
    renderConsole({ fetch, path: '/customers/cus_ada' });
    const emails = await screen.findByRole('region', { name: 'Emails sent' });
    expect((await within(emails).findByRole('alert')).textContent).toBe(
      "This API key is not allowed to do that. This key's role (restricted) does not grant emails:read.",
    );
    expect(
      within(screen.getByRole('region', { name: 'Purchases' })).getByText('ord-1'),
    ).toBeTruthy();
  });

  it('starts a subscription billed every few seconds and opens it', async () => {
    const { fetch, sent } = adaApi({
      'POST /v1/subscriptions': ({ body }) =>
        json(
          201,
          subscription({
            id: 'sub_new',
            status: 'pending',
            ...(body as object),
            source: 'request',
          }),
        ),
      'GET /v1/subscriptions/{subscriptionId}': () => json(200, subscription({ id: 'sub_new' })),
      'GET /v1/subscriptions/{subscriptionId}/charges': () => json(200, page([])),
    });
    renderConsole({ fetch, path: '/customers/cus_ada' });
    const form = (await screen.findByRole('heading', { name: 'Start a subscription' })).closest(
      'form',
    ) as HTMLFormElement;
    fireEvent.change(within(form).getByLabelText('Price'), { target: { value: '10' } });
    fireEvent.change(within(form).getByLabelText('Interval count'), { target: { value: '4' } });
    fireEvent.change(within(form).getByLabelText('Interval unit'), { target: { value: 'second' } });
    fireEvent.change(within(form).getByLabelText('Time zone'), {
      target: { value: 'Europe/Paris' },
    });
    fireEvent.click(within(form).getByRole('button', { name: 'Start subscription' }));
    expect(
      await screen.findByRole('heading', { name: 'Subscription sub_new', level: 1 }),
    ).toBeTruthy();
    const [request] = sent('POST', '/v1/subscriptions');
    expect(request?.body).toEqual({
      customerId: 'cus_ada',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1_000, currency: 'USD' },
      interval: { unit: 'second', count: 4 },
      timeZone: 'Europe/Paris',
    });
    expect(request?.headers.get('idempotency-key')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('shows the API’s field errors of a refused start, by the names of the form', async () => {
    const { fetch } = adaApi({
      'POST /v1/subscriptions': () =>
        problem(400, 'Bad Request', 'The request body is not valid', {
          errors: [
            { in: 'body', field: 'timeZone', message: 'an IANA time zone such as Europe/Paris' },
          ],
        }),
    });
    renderConsole({ fetch, path: '/customers/cus_ada' });
    const form = (await screen.findByRole('heading', { name: 'Start a subscription' })).closest(
      'form',
    ) as HTMLFormElement;
    fireEvent.change(within(form).getByLabelText('Price'), { target: { value: '10' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Start subscription' }));
    const alert = await within(form).findByRole('alert');
    expect(alert.textContent).toBe(
      'Some details are not valid: correct them and try again.Time zone: an IANA time zone such as Europe/Paris',
    );
  });

  it('says when there is no such customer', async () => {
    const { fetch } = adaApi();
    renderConsole({ fetch, path: '/customers/cus_nobody' });
    expect((await screen.findByRole('alert')).textContent).toBe('No customer cus_nobody.');
  });
});
