import { body } from '../api/client';
import type { Email, Purchase } from '../api/types';
import { formatMoney } from '../format/money';
import { formatShort } from '../format/time';
import { ErrorMessage } from '../ui/error-message';
import { Section, TableScroll } from '../ui/page';
import { ShowMore, usePaged } from '../ui/paged';
import { useServices } from '../ui/services';
import { StatusBadge } from '../ui/status-badge';

const count = (n: number) => new Intl.NumberFormat().format(n);

export function PurchasesSection({ customerId }: { customerId: string }) {
  const { api, poll } = useServices();
  const { query, items } = usePaged<Purchase>(
    ['purchases', customerId],
    (cursor, signal) =>
      body(
        api.GET('/v1/customers/{customerId}/purchases', {
          params: { path: { customerId }, query: { limit: 25, ...(cursor ? { cursor } : {}) } },
          signal,
        }),
      ),
    poll.live,
  );
  return (
    <Section id="purchases" title="Purchases">
      {query.isPending && <p className="muted">Loading…</p>}
      {!query.data && <ErrorMessage error={query.error} />}
      {query.data && items.length === 0 && <p className="muted">No purchases counted yet.</p>}
      {items.length > 0 && (
        <TableScroll label="Purchases table">
          <table>
            <thead>
              <tr>
                <th scope="col">Purchase</th>
                <th scope="col">Amount</th>
                <th scope="col">Points</th>
                <th scope="col">Counted</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={`${p.source ?? 'purchase'}:${p.purchaseId}`}>
                  <td>
                    <code>{p.purchaseId}</code>
                    {p.source === 'charge' && <span className="muted"> (subscription charge)</span>}
                  </td>
                  <td>{formatMoney(p.amount)}</td>
                  <td>{count(p.points)}</td>
                  <td>{formatShort(p.countedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ShowMore query={query} label="Show more purchases" />
    </Section>
  );
}

export function EmailsSection({ customerId }: { customerId: string }) {
  const { api, poll } = useServices();
  const { query, items } = usePaged<Email>(
    ['emails', customerId],
    (cursor, signal) =>
      body(
        api.GET('/v1/customers/{customerId}/emails', {
          params: { path: { customerId }, query: { limit: 25, ...(cursor ? { cursor } : {}) } },
          signal,
        }),
      ),
    poll.list,
  );
  return (
    <Section id="emails" title="Emails sent">
      {query.isPending && <p className="muted">Loading…</p>}
      {!query.data && <ErrorMessage error={query.error} />}
      {query.data && items.length === 0 && <p className="muted">No emails yet.</p>}
      {items.length > 0 && (
        <TableScroll label="Emails table">
          <table>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">To</th>
                <th scope="col">Status</th>
                <th scope="col">Written</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td>{e.subject}</td>
                  <td>{e.to}</td>
                  <td>
                    <StatusBadge status={e.status} />
                    {e.sentAt && <span className="muted"> {formatShort(e.sentAt)}</span>}
                  </td>
                  <td>{formatShort(e.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ShowMore query={query} label="Show more emails" />
    </Section>
  );
}
