import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeApi, json, problem } from '../testing/fake-api';
import { ada, loyalty, page } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

const grace = {
  id: 'cus_grace',
  email: 'grace@example.com',
  name: 'Grace Hopper',
  createdAt: '2026-05-02T09:00:00.000Z',
};

function customersApi() {
  const customers = [ada, grace];
  return fakeApi({
    'GET /v1/customers': ({ query }) => {
      const q = (query.get('q') ?? '').toLowerCase();
      const cursor = query.get('cursor');
      const matching = customers.filter(
        (c) =>
          c.id.startsWith(q) ||
          c.email.toLowerCase().includes(q) ||
          c.name.toLowerCase().includes(q),
      );
      // One per page, to page through.
      const at = cursor ? Number(cursor) : 0;
      return json(
        200,
        page(matching.slice(at, at + 1), at + 1 < matching.length ? String(at + 1) : null),
      );
    },
    'POST /v1/customers': ({ body }) => {
      const b = body as { name: string; email: string; id?: string };
      if (!b.email.includes('@'))
        return problem(400, 'Bad Request', 'The request body is not valid', {
          errors: [{ in: 'body', field: 'email', message: 'Invalid email address' }],
        });
      const created = {
        id: b.id ?? 'cus_new',
        email: b.email,
        name: b.name,
        createdAt: '2026-06-01T12:00:00.000Z',
      };
      customers.push(created);
      return json(201, created);
    },
    'GET /v1/customers/{customerId}': ({ params }) =>
      json(
        200,
        customers.find((c) => c.id === params['customerId']),
      ),
    'GET /v1/customers/{customerId}/loyalty': () =>
      json(200, loyalty({ balance: 0, lifetimePoints: 0, couponsIssued: 0 })),
    'GET /v1/customers/{customerId}/coupons': () => json(200, page([])),
    'GET /v1/customers/{customerId}/purchases': () => json(200, page([])),
    'GET /v1/customers/{customerId}/emails': () => json(200, page([])),
    'GET /v1/customers/{customerId}/subscriptions': () => json(200, page([])),
  });
}

describe('the customers page', () => {
  it('lists customers page by page and searches them', async () => {
    const { fetch, requests } = customersApi();
    renderConsole({ fetch, path: '/customers' });
    const table = await screen.findByRole('table');
    expect(
      within(table)
        .getAllByRole('link')
        .map((a) => a.textContent),
    ).toEqual(['Ada Lovelace']);
    fireEvent.click(screen.getByRole('button', { name: 'Show more customers' }));
    await within(table).findByText('Grace Hopper');
    expect(screen.queryByRole('button', { name: 'Show more customers' })).toBeNull();

    fireEvent.change(screen.getByRole('searchbox', { name: 'Search customers' }), {
      target: { value: 'GRACE' },
    });
    await waitFor(() =>
      expect(within(screen.getByRole('table')).queryByText('Ada Lovelace')).toBeNull(),
    );
    expect(within(screen.getByRole('table')).getByText('Grace Hopper')).toBeTruthy();
    expect(requests.at(-1)?.url.searchParams.get('q')).toBe('GRACE');

    fireEvent.change(screen.getByRole('searchbox', { name: 'Search customers' }), {
      target: { value: 'nobody' },
    });
    expect(await screen.findByText('No customer matches “nobody”.')).toBeTruthy();
  });

  it('creates a customer and opens its page; a refused field is named', async () => {
    const { fetch, sent } = customersApi();
    renderConsole({ fetch, path: '/customers' });
    const form = await screen.findByRole('region', { name: 'New customer' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Alan Turing' } });
    fireEvent.change(within(form).getByLabelText('Email'), { target: { value: 'alan' } });
    fireEvent.submit(within(form).getByRole('button', { name: 'Create customer' }));
    expect((await within(form).findByRole('alert')).textContent).toBe(
      'Some details are not valid: correct them and try again.Email: Invalid email address',
    );

    fireEvent.change(within(form).getByLabelText('Email'), {
      target: { value: 'alan@example.com' },
    });
    fireEvent.change(within(form).getByLabelText('Customer id (optional)'), {
      target: { value: 'cus_alan' },
    });
    fireEvent.submit(within(form).getByRole('button', { name: 'Create customer' }));
    expect(await screen.findByRole('heading', { name: 'Alan Turing', level: 1 })).toBeTruthy();
    expect(screen.getByTestId('location').textContent).toBe('/customers/cus_alan');
    const [refused, created] = sent('POST', '/v1/customers');
    expect(created?.body).toEqual({
      name: 'Alan Turing',
      email: 'alan@example.com',
      id: 'cus_alan',
    });
    // Another request than the refused one: another Idempotency-Key.
    expect(created?.headers.get('idempotency-key')).not.toBe(
      refused?.headers.get('idempotency-key'),
    );
  });
});
