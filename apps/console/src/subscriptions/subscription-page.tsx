import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { type ApiClient, body } from '../api/client';
import { idempotencyKeys } from '../api/idempotency';
import { ApiError } from '../api/api-error';
import type { Charge, Subscription, SubscriptionEvent } from '../api/types';
import { workflowUrl } from '../config/console-config';
import { amountInput, formatMoney, parseAmount } from '../format/money';
import { formatInstant, formatInterval, relativeTime, viewerTimeZone } from '../format/time';
import { useAnnounce } from '../ui/announcer';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorMessage, StatusMessage } from '../ui/error-message';
import { LiveStatus, Section, useDocumentTitle } from '../ui/page';
import { useServices } from '../ui/services';
import { StatusBadge } from '../ui/status-badge';
import { Timeline } from './timeline-view';

/** Charges read per refresh at most (pages of 100, oldest first): a long history is cut. */
const MAX_CHARGE_PAGES = 5;

async function allCharges(api: ApiClient, subscriptionId: string, signal: AbortSignal) {
  const charges: Charge[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_CHARGE_PAGES; page++) {
    const result = await body(
      api.GET('/v1/subscriptions/{subscriptionId}/charges', {
        params: { path: { subscriptionId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    );
    charges.push(...result.items);
    if (!result.nextCursor) return { charges, complete: true };
    cursor = result.nextCursor;
  }
  return { charges, complete: false };
}

/** Changes read per refresh at most (pages of 100, newest first): older ones are left out. */
const MAX_EVENT_PAGES = 5;

/**
 * The subscription's change history (who paused, resumed, changed the price or canceled it), or
 * null when this key may not read it (403): the timeline then shows the ledger alone.
 */
async function allEvents(api: ApiClient, subscriptionId: string, signal: AbortSignal) {
  const events: SubscriptionEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const result = await body(
      api.GET('/v1/subscriptions/{subscriptionId}/events', {
        params: { path: { subscriptionId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 403) return null;
      throw error;
    });
    if (result === null) return null;
    events.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return events;
}

const ENDED = ['canceled', 'completed'];

export function SubscriptionPage() {
  const subscriptionId = useParams()['subscriptionId'] ?? '';
  useDocumentTitle(`Subscription ${subscriptionId}`);
  const { api, config, poll, now } = useServices();
  const subscription = useQuery({
    queryKey: ['subscription', subscriptionId],
    queryFn: ({ signal }) =>
      body(
        api.GET('/v1/subscriptions/{subscriptionId}', {
          params: { path: { subscriptionId } },
          signal,
        }),
      ),
    refetchInterval: poll.live,
  });
  const charges = useQuery({
    queryKey: ['charges', subscriptionId],
    queryFn: ({ signal }) => allCharges(api, subscriptionId, signal),
    refetchInterval: poll.live,
  });
  // Polled like the ledger; without it (no permission, or failing) the timeline has no actors.
  const events = useQuery({
    queryKey: ['events', subscriptionId],
    queryFn: ({ signal }) => allEvents(api, subscriptionId, signal),
    // A key refused once is refused on every refresh: asked again only on the next visit.
    refetchInterval: (query) => (query.state.data === null ? false : poll.live),
  });
  const s = subscription.data;
  const temporal = workflowUrl(config, s?.workflowId);

  return (
    <>
      {s && (
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to="/customers">Customers</Link> <span aria-hidden="true">/</span>{' '}
          <Link to={`/customers/${encodeURIComponent(s.customerId)}`}>{s.customerId}</Link>{' '}
          <span aria-hidden="true">/</span> {s.id}
        </nav>
      )}
      <div className="page-header">
        <div>
          <h1>
            Subscription <code>{subscriptionId}</code>
          </h1>
          {s && (
            <p className="subtitle">
              <StatusBadge status={s.status} /> {formatMoney(s.price)} {formatInterval(s.interval)}
            </p>
          )}
        </div>
        <div className="page-header-side">
          <LiveStatus query={subscription} />
          {temporal && (
            <a href={temporal} target="_blank" rel="noreferrer noopener" className="external">
              Workflow in Temporal<span className="visually-hidden"> (opens in a new tab)</span>
            </a>
          )}
        </div>
      </div>
      {subscription.isPending && <p className="muted">Loading…</p>}
      {!s && <ErrorMessage error={subscription.error} />}
      {s && (
        <div className="columns">
          <div className="stack">
            <Details subscription={s} now={now()} />
            <Actions subscription={s} />
          </div>
          <Section id="timeline" title="Timeline">
            {!charges.data && <ErrorMessage error={charges.error} />}
            {charges.data && (
              <Timeline
                subscription={s}
                charges={charges.data.charges}
                events={events.data ?? []}
                now={now()}
              />
            )}
            {charges.data && !charges.data.complete && (
              <p className="hint">
                Showing the first {charges.data.charges.length} charge attempts.
              </p>
            )}
          </Section>
        </div>
      )}
    </>
  );
}

function Details({ subscription: s, now }: { subscription: Subscription; now: Date }) {
  const viewer = viewerTimeZone();
  return (
    <Section id="details" title="Details">
      <dl className="details">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={s.status} />
            {s.source !== 'workflow' && (
              <span className="muted">
                {' '}
                {s.source === 'projection'
                  ? '(stored copy: the workflow has ended or is busy)'
                  : '(not started by a worker yet)'}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Customer</dt>
          <dd>
            <Link to={`/customers/${encodeURIComponent(s.customerId)}`}>{s.customerId}</Link>
          </dd>
        </div>
        <div>
          <dt>Price</dt>
          <dd>
            {formatMoney(s.price)} {formatInterval(s.interval)}
          </dd>
        </div>
        {s.pendingPrice && (
          <div>
            <dt>New price</dt>
            <dd>
              {formatMoney(s.pendingPrice.price)} from period {s.pendingPrice.fromPeriod}
            </dd>
          </div>
        )}
        <div>
          <dt>Time zone</dt>
          <dd>{s.timeZone}</dd>
        </div>
        <div>
          <dt>Next charge</dt>
          <dd data-testid="next-charge">
            {s.nextChargeAt && !ENDED.includes(s.status) ? (
              <>
                <span className="block">
                  {formatInstant(s.nextChargeAt, s.timeZone)}{' '}
                  <span className="muted">(subscription’s zone)</span>
                </span>
                {viewer !== s.timeZone && (
                  <span className="block">
                    {formatInstant(s.nextChargeAt, viewer)}{' '}
                    <span className="muted">(your zone, {viewer})</span>
                  </span>
                )}
                <span className="block muted">{relativeTime(s.nextChargeAt, now)}</span>
              </>
            ) : (
              'None scheduled'
            )}
          </dd>
        </div>
        <div>
          <dt>Periods billed</dt>
          <dd>{s.periodsBilled}</dd>
        </div>
        {s.pausedAt && (
          <div>
            <dt>Paused since</dt>
            <dd>{formatInstant(s.pausedAt, viewer)}</dd>
          </div>
        )}
        {s.cancel && (
          <div>
            <dt>Cancellation</dt>
            <dd>
              {s.cancel.effectiveAt
                ? `Effective ${formatInstant(s.cancel.effectiveAt, viewer)}`
                : 'Requested'}
              {s.cancel.reason ? ` · ${s.cancel.reason}` : ''}
            </dd>
          </div>
        )}
      </dl>
    </Section>
  );
}

type Action = 'cancel-now' | 'cancel-at-period-end' | 'price' | 'pause' | 'resume';

const ACTIONS: Readonly<
  Record<
    Action,
    {
      readonly button: string;
      readonly title: string;
      readonly confirm: string;
      readonly done: string;
    }
  >
> = {
  'cancel-now': {
    button: 'Cancel now',
    title: 'Cancel this subscription now?',
    confirm: 'Yes, cancel now',
    done: 'Subscription canceled.',
  },
  'cancel-at-period-end': {
    button: 'Cancel at period end',
    title: 'Cancel at the end of the current period?',
    confirm: 'Yes, cancel at period end',
    done: 'The subscription will end with the current period.',
  },
  price: {
    button: 'Change price',
    title: 'Change the price',
    confirm: 'Yes, change the price',
    done: 'Price changed.',
  },
  pause: {
    button: 'Pause',
    title: 'Pause billing?',
    confirm: 'Yes, pause',
    done: 'Subscription paused.',
  },
  resume: {
    button: 'Resume',
    title: 'Resume billing?',
    confirm: 'Yes, resume',
    done: 'Subscription resumed.',
  },
};

function Actions({ subscription: s }: { subscription: Subscription }) {
  const { api } = useServices();
  const announce = useAnnounce();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  const [price, setPrice] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const resultRef = useRef<HTMLParagraphElement>(null);
  const id = useId();
  const path = { subscriptionId: s.id };

  // One key per intended change: confirming it again after an unknown outcome (a lost answer, a
  // 503 "may still be applied") sends the first attempt's key, so the API applies it once.
  const keys = useRef(idempotencyKeys());
  const act = useMutation({
    mutationFn: async (action: Action): Promise<string> => {
      const header = {
        'Idempotency-Key': keys.current.keyFor({ action, reason: reason.trim(), price }),
      };
      switch (action) {
        case 'cancel-now':
        case 'cancel-at-period-end': {
          const mode = action === 'cancel-now' ? 'now' : 'at_period_end';
          const r = await body(
            api.POST('/v1/subscriptions/{subscriptionId}/cancel', {
              params: { path, header },
              body: { mode, ...(reason.trim() ? { reason: reason.trim() } : {}) },
            }),
          );
          return r.effectiveAt && action === 'cancel-at-period-end'
            ? `The subscription will end ${formatInstant(r.effectiveAt, s.timeZone)}.`
            : ACTIONS[action].done;
        }
        case 'price': {
          const parsed = parseAmount(price, s.price.currency);
          if (!parsed.ok) throw new Error(parsed.error);
          const r = await body(
            api.POST('/v1/subscriptions/{subscriptionId}/price', {
              params: { path, header },
              body: { price: { amountMinor: parsed.amountMinor, currency: s.price.currency } },
            }),
          );
          return `New price ${formatMoney({ amountMinor: parsed.amountMinor, currency: s.price.currency })} from period ${r.fromPeriod}.`;
        }
        case 'pause':
        case 'resume': {
          const route =
            action === 'pause'
              ? ('/v1/subscriptions/{subscriptionId}/pause' as const)
              : ('/v1/subscriptions/{subscriptionId}/resume' as const);
          const after = await body(api.POST(route, { params: { path, header } }));
          queryClient.setQueryData(['subscription', s.id], after);
          return ACTIONS[action].done;
        }
      }
    },
    onError: (error) => keys.current.failed(error),
    onSuccess: (message) => {
      keys.current.reset();
      setResult(message);
      announce(message);
      setOpen(null);
      void queryClient.invalidateQueries({ queryKey: ['subscription', s.id] });
      void queryClient.invalidateQueries({ queryKey: ['charges', s.id] });
      void queryClient.invalidateQueries({ queryKey: ['events', s.id] });
    },
  });

  const ended = ENDED.includes(s.status);
  const canceling = s.cancel !== null;
  // What the API would accept now: only an active subscription pauses, only a paused one
  // resumes, and one set to cancel can only be canceled at once.
  const toggle: Action[] =
    s.status === 'paused' ? ['resume'] : s.status === 'active' ? ['pause'] : [];
  const available: Action[] = ended
    ? []
    : canceling
      ? [...toggle.filter((a) => a === 'resume'), 'cancel-now']
      : [...toggle, 'price', 'cancel-at-period-end', 'cancel-now'];

  const openDialog = (action: Action) => {
    act.reset();
    setResult(null);
    setProblem(null);
    setReason('');
    setPrice(action === 'price' ? amountInput(s.price) : '');
    setOpen(action);
  };

  const confirm = () => {
    if (!open) return;
    if (open === 'price') {
      const parsed = parseAmount(price, s.price.currency);
      if (!parsed.ok) {
        setProblem(parsed.error);
        return;
      }
    }
    setProblem(null);
    act.mutate(open);
  };

  const spec = open ? ACTIONS[open] : null;
  return (
    <Section id="actions" title="Actions">
      {ended ? (
        <p className="muted">This subscription has ended: there is nothing left to change.</p>
      ) : (
        <div className="actions actions-wrap">
          {available.map((action) => (
            <button
              key={action}
              type="button"
              className={`button ${action === 'cancel-now' ? 'button-danger-quiet' : ''}`}
              onClick={() => openDialog(action)}
            >
              {ACTIONS[action].button}
            </button>
          ))}
        </div>
      )}
      <StatusMessage ref={resultRef}>{result}</StatusMessage>
      <ConfirmDialog
        open={open !== null}
        title={spec?.title ?? ''}
        confirmLabel={spec?.confirm ?? ''}
        tone={open === 'cancel-now' || open === 'cancel-at-period-end' ? 'danger' : 'default'}
        busy={act.isPending}
        error={act.error}
        returnFocusTo={result ? resultRef : undefined}
        onConfirm={confirm}
        onClose={() => setOpen(null)}
      >
        {open === 'price' && (
          <div className="field">
            <label htmlFor={`${id}-price`}>New price ({s.price.currency})</label>
            <input
              id={`${id}-price`}
              inputMode="decimal"
              value={price}
              onChange={(e) => setPrice(e.target.value)}
              autoComplete="off"
              aria-invalid={problem !== null}
            />
            {problem && (
              <p className="message message-error" role="alert">
                {problem}
              </p>
            )}
            <p className="hint">
              Now {formatMoney(s.price)}. The new price applies from the next period; the current
              one is not charged again.
            </p>
          </div>
        )}
        {(open === 'cancel-now' || open === 'cancel-at-period-end') && (
          <>
            <p>
              {open === 'cancel-now'
                ? 'Billing stops at once and nothing more is charged. This cannot be undone.'
                : 'The current period stays paid; nothing is charged after it. This cannot be undone.'}
            </p>
            <div className="field">
              <label htmlFor={`${id}-reason`}>Reason (optional)</label>
              <input
                id={`${id}-reason`}
                value={reason}
                maxLength={200}
                onChange={(e) => setReason(e.target.value)}
                autoComplete="off"
              />
            </div>
          </>
        )}
        {open === 'pause' && <p>Periods that fall inside the pause are not billed.</p>}
        {open === 'resume' && <p>Billing resumes at the first billing date after now.</p>}
      </ConfirmDialog>
    </Section>
  );
}
