import { HttpError } from './http-error';
import { signedCursors } from './cursors';

describe('signed paging cursors', () => {
  const cursors = signedCursors('a-signing-secret-of-at-least-32-chars');
  const sealed = cursors.seal('coupons', 'acme~alice', '{"s":"0a0b"}') ?? '';

  it('opens what it sealed, for the same listing and scope only', () => {
    expect(cursors.open('coupons', 'acme~alice', sealed)).toBe('{"s":"0a0b"}');
    expect(cursors.open('coupons', 'acme~alice', undefined)).toBeUndefined();
    expect(cursors.seal('coupons', 'acme~alice', null)).toBeNull();
  });

  const refusal = (listing: string, scope: string, cursor: string) => {
    try {
      cursors.open(listing, scope, cursor);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return { status: error.status, errors: error.extensions['errors'] };
    }
    return 'opened';
  };

  it.each([
    ['another listing', 'emails', 'acme~alice', sealed],
    ['another customer', 'coupons', 'acme~bob', sealed],
    ['another tenant', 'coupons', 'globex~alice', sealed],
    ['a crafted cursor', 'emails', 'acme~alice', Buffer.from('{"s":"00"}').toString('base64url')],
    ['a tampered payload', 'coupons', 'acme~alice', `x${sealed}`],
    [
      'another secret',
      'coupons',
      'acme~alice',
      signedCursors('another-secret-of-at-least-32-chars!').seal('coupons', 'acme~alice', 'x') ??
        '',
    ],
    ['junk', 'coupons', 'acme~alice', '....'],
  ])('refuses %s with a 400 on the query', (_what, listing, scope, cursor) => {
    expect(refusal(listing, scope, cursor)).toEqual({
      status: 400,
      errors: [{ in: 'query', field: 'cursor', message: expect.any(String) as unknown }],
    });
  });
});
