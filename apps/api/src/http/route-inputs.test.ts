import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import request from 'supertest';
import { auth, T0, testApp } from '../testing/unit-app';

/** Query and body edge cases of issue #15: cursors are query parameters, an empty JSON body is {}. */

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors are query parameters', () => {
  it.each([
    ['{"s":"00"} on emails', '/v1/customers/cus_1/emails', b64({ s: '00' })],
    ['{"s":"00"} on subscriptions', '/v1/customers/cus_1/subscriptions', b64({ s: '00' })],
    ['garbage on coupons', '/v1/customers/cus_1/coupons', 'bm90LWEtY3Vyc29y'],
  ])(
    'a bad cursor (%s) is a 400 naming the query parameter cursor',
    async (_what, path, cursor) => {
      const res = await request(testApp(createInMemoryRepository()))
        .get(path)
        .query({ cursor })
        .set('Authorization', auth)
        .expect(400);
      expect(res.body).toMatchObject({
        errors: [{ in: 'query', field: 'cursor', message: expect.any(String) as string }],
      });
    },
  );

  it('a coupons cursor is refused on /emails and a subscriptions cursor on /coupons', async () => {
    const store = createInMemoryRepository();
    const app = testApp(store);
    for (const n of [1, 2]) {
      // Stored in the tenant of the environment's keys (`dev`), as the API stores it.
      await store.coupons.issue({
        id: `dev~cus_1:${n}`,
        customerId: 'dev~cus_1',
        value: { amountMinor: 500, currency: 'USD' },
        status: 'issued',
        issuedAt: new Date(T0),
        redeemedAt: null,
        redeemedBy: null,
      });
    }
    const page = await request(app)
      .get('/v1/customers/cus_1/coupons?limit=1')
      .set('Authorization', auth)
      .expect(200);
    const cursor = (page.body as { nextCursor: string }).nextCursor;
    await request(app)
      .get('/v1/customers/cus_1/emails')
      .query({ cursor })
      .set('Authorization', auth)
      .expect(400);
    await request(app)
      .get('/v1/customers/cus_1/coupons')
      .query({ cursor })
      .set('Authorization', auth)
      .expect(200);
  });
});

describe('body-optional POSTs', () => {
  it('POST …/cancel with Content-Type application/json and no body reads as {} (not 415)', async () => {
    const server = testApp(createInMemoryRepository()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      // A raw request with neither Content-Length nor Transfer-Encoding (curl -X POST -H …).
      const socket = connect(port, '127.0.0.1');
      socket.write(
        `POST /v1/subscriptions/sub_1/cancel HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`,
      );
      let answer = '';
      for await (const chunk of socket) answer += String(chunk);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      // Past validation: it reached Temporal, which is unreachable here.
      expect(status).toBe(503);
    } finally {
      server.close();
    }
  });

  it('still refuses a body that is not JSON', async () => {
    await request(testApp(createInMemoryRepository()))
      .post('/v1/subscriptions/sub_1/cancel')
      .set('Authorization', auth)
      .set('Content-Type', 'text/plain')
      .send('mode=now')
      .expect(415);
  });
});
