import type { Fetcher, FetcherRequestInfo, FetcherResponseInfo } from '@datastax/astra-db-ts';
import type { AstraRepositoryConfig } from '../config';
import { UnavailableError } from '../errors';
import { createAstraDataStore } from './astra-data-store';

/** Answers Data API requests from a script and records what astra-db-ts sent on the wire. */
function scriptedFetcher(
  reply: (req: FetcherRequestInfo) => Partial<FetcherResponseInfo>,
): Fetcher & { sent: FetcherRequestInfo[] } {
  const sent: FetcherRequestInfo[] = [];
  return {
    sent,
    fetch(req) {
      sent.push(req);
      return Promise.resolve({
        status: 200,
        statusText: 'OK',
        headers: {},
        httpVersion: 1,
        url: req.url,
        ...reply(req),
      });
    },
  };
}

const endpoint = 'https://01234567-89ab-cdef-0123-456789abcdef-us-east1.apps.astra.datastax.com';

function config(fetcher: Fetcher): AstraRepositoryConfig {
  return {
    backend: 'astra',
    endpoint,
    keyspace: 'invincible',
    environment: 'astra',
    auth: { token: 'AstraCS:test' },
    fetcher,
  };
}

describe('the Astra data store, at the wire', () => {
  it('pings with a findCollections command on the keyspace, authenticated by the token', async () => {
    const fetcher = scriptedFetcher(() => ({
      body: JSON.stringify({ status: { collections: [] } }),
    }));
    const store = createAstraDataStore(config(fetcher));
    await store.ping();
    await store.close();
    expect(fetcher.sent).toHaveLength(1);
    const [req] = fetcher.sent;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe(`${endpoint}/api/json/v1/invincible`);
    expect(req?.headers['Token']).toBe('AstraCS:test');
    expect(JSON.parse(req?.body ?? '{}')).toEqual({
      findCollections: { options: { explain: false } },
    });
  });

  it.each([
    ['an HTTP 503', { status: 503, statusText: 'Service Unavailable', body: 'upstream down' }],
    [
      'a Data API error',
      {
        body: JSON.stringify({
          errors: [{ errorCode: 'KEYSPACE_DOES_NOT_EXIST', message: 'Unknown keyspace' }],
        }),
      },
    ],
  ])('reports %s as UnavailableError', async (_what, response) => {
    const store = createAstraDataStore(config(scriptedFetcher(() => response)));
    await expect(store.ping()).rejects.toBeInstanceOf(UnavailableError);
  });
});
