import { asProblem, fieldLabel, problemMessage, sentence } from './api-error';

describe('problemMessage: the API’s problem documents as sentences for people', () => {
  it('keeps the detail of a refusal and makes it a sentence (409, 404, 422)', () => {
    expect(
      problemMessage(409, {
        title: 'Conflict',
        status: 409,
        detail: 'coupon cus_ada:1 is already redeemed',
      }),
    ).toBe('Coupon cus_ada:1 is already redeemed.');
    expect(
      problemMessage(404, { title: 'Not Found', status: 404, detail: 'no subscription sub_1' }),
    ).toBe('No subscription sub_1.');
    expect(
      problemMessage(422, {
        title: 'Unprocessable Content',
        status: 422,
        detail: 'interval: second billing is not allowed here; the shortest unit is hour',
      }),
    ).toBe('Interval: second billing is not allowed here; the shortest unit is hour.');
  });

  it('never shows a bare status code or title when there is no detail', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 429, 500, 502, 503]) {
      const message = problemMessage(status, { title: 'Whatever', status });
      expect(message).not.toMatch(/\b\d{3}\b/);
      expect(message.length).toBeGreaterThan(10);
    }
  });

  it('says how long to wait when the API says so (429, 503)', () => {
    expect(problemMessage(429, { title: 'Too Many Requests', status: 429 }, 12)).toBe(
      'Too many requests at once. Try again in 12 seconds.',
    );
    expect(
      problemMessage(
        503,
        { title: 'Service Unavailable', status: 503, detail: 'Temporal is unavailable' },
        1,
      ),
    ).toBe('Temporal is unavailable. Try again in a second.');
  });

  it('frames a 403 as what this key may not do, with the API’s reason', () => {
    expect(
      problemMessage(403, {
        title: 'Forbidden',
        status: 403,
        detail: "This key's role (read_only) does not grant loyalty:write",
      }),
    ).toBe(
      "This API key is not allowed to do that. This key's role (read_only) does not grant loyalty:write.",
    );
  });

  it('asks to correct the fields of a 400 that lists them, and quotes the request id of a 500', () => {
    expect(
      problemMessage(400, {
        title: 'Bad Request',
        status: 400,
        detail: 'The request body is not valid',
        errors: [{ in: 'body', field: 'email', message: 'Invalid email address' }],
      }),
    ).toBe('Some details are not valid: correct them and try again.');
    expect(
      problemMessage(500, { title: 'Internal Server Error', status: 500 }, null, 'req-42'),
    ).toBe('Something went wrong on the server. If it happens again, quote request req-42.');
    expect(problemMessage(0, null)).toBe(
      'The API could not be reached. Check the connection and try again.',
    );
  });
});

describe('asProblem', () => {
  it('reads a problem document and its field errors, and nothing else', () => {
    expect(
      asProblem({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        errors: [
          { in: 'body', field: 'price.amountMinor', message: 'a positive amount' },
          { nonsense: 1 },
        ],
      }),
    ).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      errors: [{ in: 'body', field: 'price.amountMinor', message: 'a positive amount' }],
    });
    expect(asProblem('<html>Bad gateway</html>')).toBeNull();
    expect(asProblem({ hello: 'world' })).toBeNull();
    expect(asProblem([{ title: 'x' }])).toBeNull();
  });
});

describe('sentence and fieldLabel', () => {
  it('capitalises and ends with a full stop, once', () => {
    expect(sentence('customer cus_1 does not exist')).toBe('Customer cus_1 does not exist.');
    expect(sentence('Already done.')).toBe('Already done.');
    expect(sentence('  ')).toBe('');
  });

  it('names fields as the forms label them', () => {
    expect(fieldLabel('price.amountMinor')).toBe('Price');
    expect(fieldLabel('interval.count')).toBe('Interval');
    expect(fieldLabel('total')).toBe('Amount');
    expect(fieldLabel('someNew.fieldName')).toBe('Some new field name');
    expect(fieldLabel('(root)')).toBe('Request');
  });
});
