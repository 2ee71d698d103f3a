import { ApiError } from './api-error';
import { body, createApiClient } from './client';

const customer = {
  id: 'cus_ada',
  email: 'ada@example.com',
  name: 'Ada',
  createdAt: '2026-06-01T12:00:00.000Z',
};

function client(fetch: (r: Request) => Promise<Response>, onUnauthorized = jest.fn()) {
  let key: string | null = 'isk_test.secret';
  const api = createApiClient({
    baseUrl: 'http://api.test',
    apiKey: () => key,
    fetch,
    onUnauthorized,
  });
  return { api, onUnauthorized, signOut: () => (key = null) };
}

describe('the API client', () => {
  it('sends the key as a bearer token, never in the URL, and returns the typed body', async () => {
    const sent: Request[] = [];
    const { api } = client((r) => {
      sent.push(r);
      return Promise.resolve(Response.json(customer));
    });
    const got = await body(
      api.GET('/v1/customers/{customerId}', { params: { path: { customerId: 'cus_ada' } } }),
    );
    expect(got).toEqual(customer);
    expect(sent[0]?.url).toBe('http://api.test/v1/customers/cus_ada');
    expect(sent[0]?.headers.get('authorization')).toBe('Bearer isk_test.secret');
    expect(sent[0]?.url).not.toContain('secret');
  });

  it('turns a problem+json answer into an ApiError with a human message and the invalid fields', async () => {
    const { api } = client(() =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            type: 'about:blank',
            title: 'Bad Request',
            status: 400,
            detail: 'The request body is not valid',
            errors: [
              { in: 'body', field: 'email', message: 'Invalid email address' },
              { in: 'body', field: 'price.amountMinor', message: 'a positive amount' },
            ],
          }),
          {
            status: 400,
            headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': 'req-1' },
          },
        ),
      ),
    );
    const error = await api.POST('/v1/customers', { body: { email: 'nope', name: 'Ada' } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    const e = error as ApiError;
    expect(e.status).toBe(400);
    expect(e.message).toBe('Some details are not valid: correct them and try again.');
    expect(e.fieldErrors).toEqual([
      { in: 'body', field: 'Email', message: 'Invalid email address' },
      { in: 'body', field: 'Price', message: 'a positive amount' },
    ]);
    expect(e.requestId).toBe('req-1');
  });

  it('reports a 401 once to whoever signs the user out', async () => {
    const onUnauthorized = jest.fn();
    const { api } = client(
      () =>
        Promise.resolve(
          new Response(
            JSON.stringify({
              type: 'about:blank',
              title: 'Unauthorized',
              status: 401,
              detail: 'x',
            }),
            {
              status: 401,
              headers: { 'Content-Type': 'application/problem+json' },
            },
          ),
        ),
      onUnauthorized,
    );
    await expect(api.GET('/v1/overview')).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('says so when the API cannot be reached, or answers with a proxy’s page, and keeps Retry-After', async () => {
    const offline = client(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(offline.api.GET('/v1/overview')).rejects.toMatchObject({
      status: 0,
      message: 'The API could not be reached. Check the connection and try again.',
    });
    const proxy = client(() =>
      Promise.resolve(
        new Response('<html>502 Bad Gateway</html>', {
          status: 502,
          headers: { 'Retry-After': '3' },
        }),
      ),
    );
    await expect(proxy.api.GET('/v1/overview')).rejects.toMatchObject({
      status: 502,
      message: 'The service is unavailable at the moment. Try again in 3 seconds.',
    });
  });

  it('leaves a cancelled request cancelled (a page that moved on is not an error to show)', async () => {
    const { api } = client((r) =>
      Promise.reject(
        r.signal.aborted ? new DOMException('aborted', 'AbortError') : new Error('not aborted'),
      ),
    );
    const controller = new AbortController();
    controller.abort();
    await expect(api.GET('/v1/overview', { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('sends no Authorization header once signed out', async () => {
    const sent: Request[] = [];
    const c = client((r) => {
      sent.push(r);
      return Promise.resolve(Response.json(customer));
    });
    c.signOut();
    await c.api.GET('/v1/customers/{customerId}', { params: { path: { customerId: 'cus_ada' } } });
    expect(sent[0]?.headers.has('authorization')).toBe(false);
  });
});
