import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeApi, json, problem } from '../testing/fake-api';
import { ada, page } from '../testing/fixtures';
import { renderConsole } from '../testing/render-console';

const VALID = 'isk_dev.valid-key';

/** An API that knows one key. */
function api() {
  const authorized = (headers: Headers) => headers.get('authorization') === `Bearer ${VALID}`;
  const unauthorized = () =>
    problem(401, 'Unauthorized', 'An API key is required: Authorization: Bearer <key>');
  return fakeApi({
    'GET /v1/customers': ({ headers }) =>
      authorized(headers) ? json(200, page([ada])) : unauthorized(),
    'GET /v1/overview': ({ headers }) => (authorized(headers) ? json(503, {}) : unauthorized()),
  });
}

describe('signing in', () => {
  it('asks for a key first, then goes where the user was headed; the key stays out of URLs', async () => {
    const { fetch, requests } = api();
    const { storage } = renderConsole({ fetch, path: '/customers?q=ad', apiKey: null });
    expect(await screen.findByRole('heading', { name: 'Sign in to the console' })).toBeTruthy();
    const input = screen.getByLabelText('API key');
    expect(input.getAttribute('type')).toBe('password');
    expect(input.getAttribute('autocomplete')).toBe('off');

    fireEvent.change(input, { target: { value: 'isk_dev.wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'That API key was not accepted. Check it and try again.',
    );
    expect(storage.items.size).toBe(0);

    fireEvent.change(input, { target: { value: ` ${VALID} ` } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const table = await screen.findByRole('table');
    expect(within(table).getByRole('link', { name: 'Ada Lovelace' }).getAttribute('href')).toBe(
      '/customers/cus_ada',
    );
    expect(screen.getByTestId('location').textContent).toBe('/customers');
    expect(storage.items.get('invincible.console.apiKey')).toBe(VALID);
    for (const r of requests) expect(r.url.href).not.toContain('key');
  });

  it('offers the development key when the host serves one, and not otherwise', async () => {
    const { fetch } = api();
    const signedOut = renderConsole({ fetch, path: '/', apiKey: null, devKey: null });
    await screen.findByRole('heading', { name: 'Sign in to the console' });
    expect(screen.queryByRole('button', { name: 'Use the development key' })).toBeNull();
    signedOut.unmount();

    renderConsole({ fetch, path: '/customers', apiKey: null, devKey: VALID });
    fireEvent.click(await screen.findByRole('button', { name: 'Use the development key' }));
    expect(await screen.findByRole('heading', { name: 'Customers', level: 1 })).toBeTruthy();
  });

  it('refuses what cannot be a key without asking the API', async () => {
    const { fetch, requests } = api();
    renderConsole({ fetch, path: '/', apiKey: null });
    fireEvent.change(await screen.findByLabelText('API key'), { target: { value: 'two words' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/no spaces/);
    expect(requests).toHaveLength(0);
  });

  it('goes back to sign-in, saying why, when the API stops accepting the key; sign-out forgets it', async () => {
    const { fetch } = api();
    const first = renderConsole({ fetch, path: '/customers', apiKey: 'isk_dev.revoked' });
    expect(
      await screen.findByText('The API no longer accepts that key. Sign in again.'),
    ).toBeTruthy();
    expect(screen.getByTestId('location').textContent).toBe('/sign-in');
    expect(first.storage.items.size).toBe(0);
    first.unmount();

    const second = renderConsole({ fetch, path: '/customers', apiKey: VALID });
    await screen.findByRole('table');
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('/sign-in'));
    expect(second.storage.items.size).toBe(0);
  });
});
