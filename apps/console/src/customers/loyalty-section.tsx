import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { body, type ApiClient } from '../api/client';
import { idempotencyKeys, randomKey } from '../api/idempotency';
import type { Coupon, Currency, PurchaseResult } from '../api/types';
import { formatMoney, parseAmount } from '../format/money';
import { formatShort } from '../format/time';
import { useAnnounce } from '../ui/announcer';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorMessage, StatusMessage } from '../ui/error-message';
import { Section, TableScroll } from '../ui/page';
import { ShowMore, usePaged } from '../ui/paged';
import { useServices } from '../ui/services';
import { StatusBadge } from '../ui/status-badge';
import { couponProgress } from './loyalty-progress';
import { CurrencyField } from '../ui/currency-field';

const count = (n: number) => new Intl.NumberFormat().format(n);

/** Everything a purchase or a redemption changes: read again at once, not at the next poll. */
function useRefreshLoyalty(customerId: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all(
      ['loyalty', 'coupons', 'purchases', 'emails'].map((key) =>
        queryClient.invalidateQueries({ queryKey: [key, customerId] }),
      ),
    );
}

/** A customer's loyalty balance, polled: shared by its section and the page's Temporal link. */
export function loyaltyQuery(api: ApiClient, customerId: string, refetchInterval: number | false) {
  return {
    queryKey: ['loyalty', customerId],
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      body(
        api.GET('/v1/customers/{customerId}/loyalty', { params: { path: { customerId } }, signal }),
      ),
    refetchInterval,
  };
}

export function LoyaltySection({ customerId }: { customerId: string }) {
  const { api, poll } = useServices();
  const loyalty = useQuery(loyaltyQuery(api, customerId, poll.live));
  const l = loyalty.data;
  const progress = l ? couponProgress(l) : null;
  return (
    <Section id="loyalty" title="Loyalty">
      {loyalty.isPending && <p className="muted">Loading…</p>}
      {!l && <ErrorMessage error={loyalty.error} />}
      {l && progress && (
        <>
          <dl className="stats">
            <div>
              <dt>Balance</dt>
              <dd data-testid="loyalty-balance">{count(l.balance)} points</dd>
            </div>
            <div>
              <dt>Lifetime points</dt>
              <dd>{count(l.lifetimePoints)}</dd>
            </div>
            <div>
              <dt>Coupons issued</dt>
              <dd>{count(l.couponsIssued)}</dd>
            </div>
            <div>
              <dt>Coupons redeemed</dt>
              <dd>{count(l.couponsRedeemed)}</dd>
            </div>
          </dl>
          <div className="progress">
            <label htmlFor={`progress-${customerId}`}>Progress to the next coupon</label>
            <progress
              id={`progress-${customerId}`}
              max={progress.threshold}
              value={progress.threshold - progress.toNext}
              aria-valuetext={`${count(progress.threshold - progress.toNext)} of ${count(progress.threshold)} points`}
            />
            <p className="hint">
              {count(progress.toNext)} more points to the next coupon (one every{' '}
              {count(progress.threshold)} points{progress.exact ? '' : ', the default rule'}).
            </p>
          </div>
        </>
      )}
      <RecordPurchase customerId={customerId} />
    </Section>
  );
}

function purchaseSummary(r: PurchaseResult): string {
  if (!r.counted) return `Purchase ${r.purchaseId} was already recorded: nothing was added.`;
  const coupons =
    r.couponsIssued.length === 0
      ? ''
      : ` New coupon${r.couponsIssued.length > 1 ? 's' : ''}: ${r.couponsIssued.join(', ')}.`;
  return `Purchase ${r.purchaseId} recorded: ${count(r.points)} points earned, balance ${count(r.balance)}.${coupons}`;
}

function RecordPurchase({ customerId }: { customerId: string }) {
  const { api } = useServices();
  const announce = useAnnounce();
  const refresh = useRefreshLoyalty(customerId);
  const newPurchaseId = () => `ord-${randomKey().slice(0, 12)}`;
  const [purchaseId, setPurchaseId] = useState(newPurchaseId);
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('USD');
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const ids = { purchaseId: useId(), amount: useId(), currency: useId(), problem: useId() };

  const record = useMutation({
    // The purchaseId is the idempotency: sending it again never counts it twice.
    mutationFn: (values: { purchaseId: string; total: number; currency: Currency }) =>
      body(
        api.POST('/v1/customers/{customerId}/purchases', {
          params: { path: { customerId } },
          body: values,
        }),
      ),
    onSuccess: (r) => {
      const summary = purchaseSummary(r);
      setResult(summary);
      announce(summary);
      setPurchaseId(newPurchaseId());
      setAmount('');
      void refresh();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    const parsed = parseAmount(amount, currency);
    if (!parsed.ok) {
      setProblem(parsed.error);
      return;
    }
    setProblem(null);
    record.mutate({
      purchaseId: purchaseId.trim(),
      total: parsed.amountMinor,
      // One of CURRENCIES, the API's own list.
      currency: currency as Currency,
    });
  };

  return (
    <form onSubmit={submit} className="form subform" aria-labelledby={`${ids.purchaseId}-title`}>
      <h3 id={`${ids.purchaseId}-title`}>Record a purchase</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor={ids.purchaseId}>Purchase id</label>
          <input
            id={ids.purchaseId}
            value={purchaseId}
            onChange={(e) => setPurchaseId(e.target.value)}
            required
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor={ids.amount}>Amount</label>
          <input
            id={ids.amount}
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            placeholder="12.50"
            required
            autoComplete="off"
            aria-invalid={problem !== null}
            aria-describedby={problem ? ids.problem : undefined}
          />
        </div>
        <CurrencyField id={ids.currency} value={currency} onChange={setCurrency} />
      </div>
      {problem && (
        <p id={ids.problem} className="message message-error" role="alert">
          {problem}
        </p>
      )}
      <ErrorMessage error={record.error} />
      <StatusMessage>{result}</StatusMessage>
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={record.isPending}>
          {record.isPending ? 'Recording…' : 'Record purchase'}
        </button>
      </div>
    </form>
  );
}

/**
 * Redeems a coupon by id, announces it and reads the loyalty figures again; `onRedeemed` gets the
 * sentence. One key per coupon: a retry after an unknown outcome (no answer, a 503) sends the
 * first attempt's key and gets its answer; after a definitive one, a new attempt is a new
 * redemption, which the API refuses for a coupon already redeemed, as it must.
 */
function useRedeemCoupon(customerId: string, onRedeemed: (message: string) => void) {
  const { api } = useServices();
  const announce = useAnnounce();
  const refresh = useRefreshLoyalty(customerId);
  const keys = useRef(idempotencyKeys());
  return useMutation({
    mutationFn: (couponId: string) =>
      body(
        api.POST('/v1/customers/{customerId}/coupons/{couponId}/redeem', {
          params: {
            path: { customerId, couponId },
            header: { 'Idempotency-Key': keys.current.keyFor(couponId) },
          },
        }),
      ),
    onError: (error) => keys.current.failed(error),
    onSuccess: (coupon) => {
      keys.current.reset();
      const message = `Coupon ${coupon.id} redeemed (${formatMoney(coupon.value)}).`;
      onRedeemed(message);
      announce(message);
      void refresh();
    },
  });
}

export function CouponsSection({ customerId }: { customerId: string }) {
  const { api, poll } = useServices();
  const [confirming, setConfirming] = useState<Coupon | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const resultRef = useRef<HTMLParagraphElement>(null);
  const { query, items } = usePaged<Coupon>(
    ['coupons', customerId],
    (cursor, signal) =>
      body(
        api.GET('/v1/customers/{customerId}/coupons', {
          params: { path: { customerId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
          signal,
        }),
      ),
    poll.live,
  );

  const redeem = useRedeemCoupon(customerId, (message) => {
    setResult(message);
    setConfirming(null);
  });

  return (
    <Section id="coupons" title="Coupons">
      {query.isPending && <p className="muted">Loading…</p>}
      {!query.data && <ErrorMessage error={query.error} />}
      {query.data && items.length === 0 && (
        <p className="muted">
          No coupons yet: one is issued each time the balance reaches the threshold.
        </p>
      )}
      {items.length > 0 && (
        <TableScroll label="Coupons table">
          <table>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Value</th>
                <th scope="col">Status</th>
                <th scope="col">Issued</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((coupon) => (
                <tr key={coupon.id}>
                  <td>
                    <code>{coupon.id}</code>
                  </td>
                  <td>{formatMoney(coupon.value)}</td>
                  <td>
                    <StatusBadge status={coupon.status} />
                    {coupon.redeemedAt && (
                      <span className="muted"> {formatShort(coupon.redeemedAt)}</span>
                    )}
                  </td>
                  <td>{formatShort(coupon.issuedAt)}</td>
                  <td>
                    {coupon.status === 'issued' && (
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => {
                          redeem.reset();
                          setResult(null);
                          setConfirming(coupon);
                        }}
                      >
                        Redeem<span className="visually-hidden"> coupon {coupon.id}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ShowMore query={query} label="Show more coupons" />
      <StatusMessage ref={resultRef}>{result}</StatusMessage>
      <ConfirmDialog
        open={confirming !== null}
        title={`Redeem coupon ${confirming?.id ?? ''}?`}
        confirmLabel="Yes, redeem"
        busy={redeem.isPending}
        error={redeem.error}
        returnFocusTo={result ? resultRef : undefined}
        onConfirm={() => confirming && redeem.mutate(confirming.id)}
        onClose={() => setConfirming(null)}
      >
        <p>
          Worth {confirming ? formatMoney(confirming.value) : ''}. A coupon can be redeemed once:
          this cannot be undone.
        </p>
      </ConfirmDialog>
      <RedeemCode customerId={customerId} onRedeemed={setResult} />
    </Section>
  );
}

/** A code the customer presents (at a till, on the phone): redeemed as typed. */
function RedeemCode({
  customerId,
  onRedeemed,
}: {
  customerId: string;
  onRedeemed: (message: string) => void;
}) {
  const [code, setCode] = useState('');
  const id = useId();
  const redeem = useRedeemCoupon(customerId, (message) => {
    onRedeemed(message);
    setCode('');
  });
  return (
    <form
      className="form subform"
      onSubmit={(e) => {
        e.preventDefault();
        if (code.trim()) redeem.mutate(code.trim());
      }}
    >
      <h3>Redeem a code</h3>
      <div className="field-row">
        <div className="field">
          <label htmlFor={id}>Coupon code</label>
          <input
            id={id}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder={`${customerId}:1`}
            autoComplete="off"
            required
          />
        </div>
      </div>
      <ErrorMessage error={redeem.error} />
      <div className="actions">
        <button type="submit" className="button" disabled={redeem.isPending}>
          {redeem.isPending ? 'Redeeming…' : 'Redeem code'}
        </button>
      </div>
    </form>
  );
}
