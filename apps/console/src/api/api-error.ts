/**
 * The API answers every error as `application/problem+json` (RFC 9457): `title`, `status`,
 * `detail`, and with a 400 `errors`, one per invalid field. The console shows people a sentence
 * made of them, never a bare status code.
 */

export interface FieldError {
  readonly in: string;
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
}

/** A failed API call: `message` is for people; the rest is for code and for support. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The HTTP status; 0 when the API could not be reached at all. */
    readonly status: number,
    message: string,
    readonly problem: Problem | null,
    /** With a 400: each invalid field, its name made readable (`price.amountMinor` → `Price`). */
    readonly fieldErrors: readonly FieldError[] = [],
    /** The API's `X-Request-Id`, which its logs are searchable by. */
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

/** Whether `value` looks like a problem document (anything else is not trusted as one). */
export function asProblem(value: unknown): Problem | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const text = (key: string) => {
    const x = v[key];
    return typeof x === 'string' ? x : undefined;
  };
  const errors = Array.isArray(v['errors'])
    ? (v['errors'] as unknown[]).flatMap((e): FieldError[] => {
        if (typeof e !== 'object' || e === null) return [];
        const { in: where, field, message } = e as Record<string, unknown>;
        return typeof field === 'string' && typeof message === 'string'
          ? [{ in: typeof where === 'string' ? where : 'body', field, message }]
          : [];
      })
    : undefined;
  const problem: Problem = {
    ...(text('type') !== undefined ? { type: text('type') } : {}),
    ...(text('title') !== undefined ? { title: text('title') } : {}),
    ...(typeof v['status'] === 'number' ? { status: v['status'] } : {}),
    ...(text('detail') !== undefined ? { detail: text('detail') } : {}),
    ...(errors ? { errors } : {}),
  };
  return problem.title !== undefined || problem.detail !== undefined ? problem : null;
}

/** `coupon cus_ada:1 is already redeemed` → `Coupon cus_ada:1 is already redeemed.` */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Field paths of the API's bodies as the console's forms label them. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  id: 'Customer id',
  email: 'Email',
  name: 'Name',
  customerId: 'Customer',
  paymentMethod: 'Payment method',
  'price.amountMinor': 'Price',
  'price.currency': 'Currency',
  'interval.unit': 'Interval unit',
  'interval.count': 'Interval',
  timeZone: 'Time zone',
  trialDays: 'Trial days',
  maxPeriods: 'Stop after',
  purchaseId: 'Purchase id',
  total: 'Amount',
  currency: 'Currency',
  occurredAt: 'Date',
  reason: 'Reason',
  q: 'Search',
  cursor: 'Page',
  'Idempotency-Key': 'Request key',
};

/** `interval.count` → `Interval`; an unknown path → its words (`fooBar.baz` → `Foo bar baz`). */
export function fieldLabel(field: string): string {
  const known = FIELD_LABELS[field];
  if (known) return known;
  const words = field
    .replace(/[._-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return words === '(root)' || words === '' ? 'Request' : sentence(words).slice(0, -1);
}

function retryHint(retryAfterSeconds: number | null): string {
  if (retryAfterSeconds === null) return ' Try again in a moment.';
  return retryAfterSeconds <= 1
    ? ' Try again in a second.'
    : ` Try again in ${retryAfterSeconds} seconds.`;
}

/**
 * The sentence shown for an error answer. The API's `detail` is written for its clients (`no
 * subscription sub_1`, `coupon cus_ada:1 is already redeemed`), so it is kept and made a
 * sentence; the status decides only what frames it.
 */
export function problemMessage(
  status: number,
  problem: Problem | null,
  retryAfterSeconds: number | null = null,
  requestId: string | null = null,
): string {
  const detail = problem?.detail ? sentence(problem.detail) : null;
  if (status === 0) return 'The API could not be reached. Check the connection and try again.';
  if (status === 400)
    return problem?.errors?.length
      ? 'Some details are not valid: correct them and try again.'
      : (detail ?? 'The request was not valid.');
  if (status === 401) return 'The API key was not accepted. Sign in again with a valid key.';
  if (status === 403) return `This API key is not allowed to do that.${detail ? ` ${detail}` : ''}`;
  if (status === 404) return detail ?? 'Not found: it may have been removed, or the link is wrong.';
  if (status === 413) return 'That is more data than the API accepts in one request.';
  if (status === 429) return `Too many requests at once.${retryHint(retryAfterSeconds)}`;
  if (status === 500)
    return `Something went wrong on the server.${
      requestId ? ` If it happens again, quote request ${requestId}.` : ''
    }`;
  if (status > 500)
    return `${detail ?? 'The service is unavailable at the moment.'}${retryHint(retryAfterSeconds)}`;
  // A title (`Conflict`) is a status in words: not what to tell a person.
  return detail ?? 'The API refused the request.';
}

/** The message to show for anything a query or mutation threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something unexpected went wrong in the console. Reload the page and try again.';
}
