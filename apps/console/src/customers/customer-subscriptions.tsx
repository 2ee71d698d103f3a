import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { body } from '../api/client';
import { idempotencyKeys } from '../api/idempotency';
import type { CreateSubscription, Currency, IntervalUnit, Subscription } from '../api/types';
import { formatMoney, parseAmount } from '../format/money';
import { formatInterval, formatShort } from '../format/time';
import { useAnnounce } from '../ui/announcer';
import { ErrorMessage } from '../ui/error-message';
import { Section, TableScroll } from '../ui/page';
import { ShowMore, usePaged } from '../ui/paged';
import { useServices } from '../ui/services';
import { StatusBadge } from '../ui/status-badge';
import { CurrencyField } from '../ui/currency-field';

const UNITS: readonly IntervalUnit[] = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'];

/** Test cards of the API's sandbox payment gateway (libs/activities), as suggestions only. */
const SANDBOX_METHODS = [
  'pm_card_visa',
  'pm_card_mastercard',
  'pm_card_declined',
  'pm_card_insufficient_funds',
  'pm_card_declined_once',
];

/** UTC first, then the zones this browser knows (the API refuses one it does not, with a 400). */
function timeZones(): string[] {
  const known =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...known.filter((z) => z !== 'UTC')];
}

export function CustomerSubscriptions({ customerId }: { customerId: string }) {
  const { api, poll } = useServices();
  const { query, items } = usePaged<Subscription>(
    ['customer-subscriptions', customerId],
    (cursor, signal) =>
      body(
        api.GET('/v1/customers/{customerId}/subscriptions', {
          params: { path: { customerId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
          signal,
        }),
      ),
    poll.live,
  );
  return (
    <Section id="subscriptions" title="Subscriptions">
      {query.isPending && <p className="muted">Loading…</p>}
      {!query.data && <ErrorMessage error={query.error} />}
      {query.data && items.length === 0 && <p className="muted">No subscriptions yet.</p>}
      {items.length > 0 && (
        <TableScroll label="Subscriptions table">
          <table>
            <thead>
              <tr>
                <th scope="col">Subscription</th>
                <th scope="col">Status</th>
                <th scope="col">Price</th>
                <th scope="col">Next charge</th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link to={`/subscriptions/${encodeURIComponent(s.id)}`}>
                      <code>{s.id}</code>
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td>
                    {formatMoney(s.price)} {formatInterval(s.interval)}
                  </td>
                  <td>{s.nextChargeAt ? formatShort(s.nextChargeAt) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ShowMore query={query} label="Show more subscriptions" />
      <StartSubscription customerId={customerId} />
    </Section>
  );
}

function StartSubscription({ customerId }: { customerId: string }) {
  const { api } = useServices();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const keys = useRef(idempotencyKeys());
  const zones = useMemo(timeZones, []);
  const [price, setPrice] = useState('');
  const [currency, setCurrency] = useState('USD');
  const [intervalCount, setIntervalCount] = useState('1');
  const [unit, setUnit] = useState<IntervalUnit>('month');
  const [timeZone, setTimeZone] = useState('UTC');
  const [paymentMethod, setPaymentMethod] = useState('pm_card_visa');
  const [trialDays, setTrialDays] = useState('');
  const [maxPeriods, setMaxPeriods] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const ids = {
    price: `${id}-price`,
    currency: `${id}-currency`,
    count: `${id}-count`,
    unit: `${id}-unit`,
    zone: `${id}-zone`,
    method: `${id}-method`,
    methods: `${id}-methods`,
    trial: `${id}-trial`,
    max: `${id}-max`,
    problem: `${id}-problem`,
  };

  const start = useMutation({
    mutationFn: (values: CreateSubscription) =>
      body(
        api.POST('/v1/subscriptions', {
          body: values,
          // The same values again (a retry) reuse the key: the API starts one subscription.
          params: { header: { 'Idempotency-Key': keys.current.keyFor(values) } },
        }),
      ),
    onSuccess: (subscription) => {
      keys.current.reset();
      announce(`Subscription ${subscription.id} started.`);
      void queryClient.invalidateQueries({ queryKey: ['customer-subscriptions', customerId] });
      void navigate(`/subscriptions/${encodeURIComponent(subscription.id)}`);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const amount = parseAmount(price, currency);
    const count = Number(intervalCount);
    const whole = (text: string) => (text.trim() === '' ? undefined : Number(text));
    const trial = whole(trialDays);
    const max = whole(maxPeriods);
    const why = !amount.ok
      ? `Price: ${amount.error}`
      : !Number.isInteger(count) || count < 1
        ? 'Interval count: a whole number from 1'
        : trial !== undefined && (!Number.isInteger(trial) || trial < 0)
          ? 'Trial days: a whole number from 0'
          : max !== undefined && (!Number.isInteger(max) || max < 1)
            ? 'Stop after: a whole number of periods from 1'
            : null;
    setProblem(why);
    if (why || !amount.ok) return;
    start.mutate({
      customerId,
      paymentMethod: paymentMethod.trim(),
      price: {
        amountMinor: amount.amountMinor,
        currency: currency as Currency,
      },
      interval: { unit, count },
      timeZone,
      ...(trial !== undefined ? { trialDays: trial } : {}),
      ...(max !== undefined ? { maxPeriods: max } : {}),
    });
  };

  return (
    <form onSubmit={submit} className="form subform" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Start a subscription</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor={ids.price}>Price</label>
          <input
            id={ids.price}
            inputMode="decimal"
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            placeholder="9.99"
            required
            autoComplete="off"
            aria-invalid={problem?.startsWith('Price') ?? false}
            aria-describedby={problem ? ids.problem : undefined}
          />
        </div>
        <CurrencyField id={ids.currency} value={currency} onChange={setCurrency} />
      </div>
      <fieldset className="field-row">
        <legend>Billing interval</legend>
        <div className="field field-narrow">
          <label htmlFor={ids.count}>Interval count</label>
          <input
            id={ids.count}
            type="number"
            min={1}
            max={1000}
            step={1}
            value={intervalCount}
            onChange={(e) => setIntervalCount(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor={ids.unit}>Interval unit</label>
          <select
            id={ids.unit}
            value={unit}
            onChange={(e) => setUnit(e.target.value as IntervalUnit)}
          >
            {UNITS.map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <div className="field-row">
        <div className="field">
          <label htmlFor={ids.zone}>Time zone</label>
          <select id={ids.zone} value={timeZone} onChange={(e) => setTimeZone(e.target.value)}>
            {zones.map((z) => (
              <option key={z}>{z}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.method}>Payment method</label>
          <input
            id={ids.method}
            list={ids.methods}
            value={paymentMethod}
            onChange={(e) => setPaymentMethod(e.target.value)}
            required
            autoComplete="off"
          />
          <datalist id={ids.methods}>
            {SANDBOX_METHODS.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
      </div>
      <details className="more">
        <summary>More options</summary>
        <div className="field-row">
          <div className="field field-narrow">
            <label htmlFor={ids.trial}>Trial days</label>
            <input
              id={ids.trial}
              type="number"
              min={0}
              max={730}
              value={trialDays}
              onChange={(e) => setTrialDays(e.target.value)}
            />
          </div>
          <div className="field field-narrow">
            <label htmlFor={ids.max}>Stop after (periods)</label>
            <input
              id={ids.max}
              type="number"
              min={1}
              max={10000}
              value={maxPeriods}
              onChange={(e) => setMaxPeriods(e.target.value)}
            />
          </div>
        </div>
      </details>
      {problem && (
        <p id={ids.problem} className="message message-error" role="alert">
          {problem}
        </p>
      )}
      <ErrorMessage error={start.error} />
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={start.isPending}>
          {start.isPending ? 'Starting…' : 'Start subscription'}
        </button>
      </div>
    </form>
  );
}
