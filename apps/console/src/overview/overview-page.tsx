import { useQuery } from '@tanstack/react-query';
import { body } from '../api/client';
import type { Currency, Money } from '../api/types';
import { formatMoney } from '../format/money';
import { formatDay, formatInstant } from '../format/time';
import { ErrorMessage } from '../ui/error-message';
import { LiveStatus, Section, TableScroll, useDocumentTitle } from '../ui/page';
import { useServices } from '../ui/services';
import { statusLabel } from '../ui/status-badge';
import { ChargesChart } from './charges-chart';

const count = (n: number) => new Intl.NumberFormat().format(n);

/** Statuses shown first, in this order; any other status the API reports follows. */
const STATUSES = ['active', 'trialing', 'past_due', 'paused', 'pending', 'canceled', 'completed'];

/** Revenue per currency, summed over days: amounts of different currencies never add up. */
function totals(revenues: readonly (readonly Money[])[]): Money[] {
  const sums = new Map<Currency, number>();
  for (const list of revenues)
    for (const m of list) sums.set(m.currency, (sums.get(m.currency) ?? 0) + m.amountMinor);
  return [...sums]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amountMinor]) => ({ currency, amountMinor }));
}

const moneyList = (list: readonly Money[]) =>
  list.length === 0 ? '—' : list.map((m) => formatMoney(m)).join(', ');

export function OverviewPage() {
  useDocumentTitle('Overview');
  const { api, poll } = useServices();
  const overview = useQuery({
    queryKey: ['overview'],
    queryFn: ({ signal }) => body(api.GET('/v1/overview', { signal })),
    refetchInterval: poll.overview,
  });
  const o = overview.data;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Overview</h1>
          {o && <p className="subtitle">As of {formatInstant(o.asOf)}</p>}
        </div>
        <LiveStatus query={overview} />
      </div>
      {overview.isPending && <p className="muted">Loading…</p>}
      {!o && <ErrorMessage error={overview.error} />}
      {o && (
        <>
          {!o.scanned.complete && (
            <p className="message message-warning">
              Counted from the first {count(o.scanned.subscriptions)} subscriptions and{' '}
              {count(o.scanned.customers)} customers only: the totals may be higher.
            </p>
          )}
          <Section id="subscriptions-by-status" title="Subscriptions by status">
            <dl className="stats">
              {[
                ...STATUSES.filter((s) => s in o.subscriptions),
                ...Object.keys(o.subscriptions).filter((s) => !STATUSES.includes(s)),
              ].map((status) => (
                <div key={status}>
                  <dt>{statusLabel(status)}</dt>
                  <dd>{count((o.subscriptions as Record<string, number>)[status] ?? 0)}</dd>
                </div>
              ))}
            </dl>
          </Section>
          <div className="columns columns-wide">
            <Section id="charges" title={`Charges over the last ${o.charges.days.length} days`}>
              <ChargesChart days={o.charges.days} />
              <p>
                Revenue: <strong>{moneyList(totals(o.charges.days.map((d) => d.revenue)))}</strong>
              </p>
              <details>
                <summary>Charges and revenue by day</summary>
                <TableScroll label="Charges by day table">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Day</th>
                        <th scope="col">Succeeded</th>
                        <th scope="col">Declined</th>
                        <th scope="col">Revenue</th>
                      </tr>
                    </thead>
                    <tbody>
                      {o.charges.days.map((d) => (
                        <tr key={d.date}>
                          <th scope="row">{formatDay(d.date)}</th>
                          <td>{count(d.succeeded)}</td>
                          <td>{count(d.declined)}</td>
                          <td>{moneyList(d.revenue)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableScroll>
              </details>
            </Section>
            <div className="stack">
              <Section id="coupons" title="Coupons">
                <dl className="stats">
                  <div>
                    <dt>Issued</dt>
                    <dd>{count(o.coupons.issued)}</dd>
                  </div>
                  <div>
                    <dt>Redeemed</dt>
                    <dd>{count(o.coupons.redeemed)}</dd>
                  </div>
                </dl>
              </Section>
              <Section id="findings" title="Reconciliation">
                {o.findings ? (
                  <dl className="stats">
                    <div>
                      <dt>Open findings</dt>
                      <dd className={o.findings.open > 0 ? 'text-danger' : ''}>
                        {count(o.findings.open)}
                      </dd>
                    </div>
                  </dl>
                ) : (
                  <p className="muted">
                    Reconciliation findings are for the platform’s operators (admin keys): an
                    account’s key does not see them.
                  </p>
                )}
              </Section>
            </div>
          </div>
        </>
      )}
    </>
  );
}
