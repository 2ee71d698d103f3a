import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { body } from '../api/client';
import { workflowUrl } from '../config/console-config';
import { formatInstant } from '../format/time';
import { ErrorMessage } from '../ui/error-message';
import { LiveStatus, useDocumentTitle } from '../ui/page';
import { useServices } from '../ui/services';
import { EmailsSection, PurchasesSection } from './activity-sections';
import { CustomerSubscriptions } from './customer-subscriptions';
import { CouponsSection, LoyaltySection, loyaltyQuery } from './loyalty-section';

export function CustomerPage() {
  const customerId = useParams()['customerId'] ?? '';
  const { api, config, poll } = useServices();
  const customer = useQuery({
    queryKey: ['customer', customerId],
    queryFn: ({ signal }) =>
      body(api.GET('/v1/customers/{customerId}', { params: { path: { customerId } }, signal })),
    refetchInterval: poll.list,
  });
  useDocumentTitle(customer.data?.name ?? `Customer ${customerId}`);
  // The loyalty section's query (one request for both): its answer names the program's workflow.
  const loyalty = useQuery(loyaltyQuery(api, customerId, poll.live));
  const temporal = workflowUrl(config, loyalty.data?.workflowId);

  if (customer.isPending) {
    return (
      <>
        <h1>Customer {customerId}</h1>
        <p className="muted">Loading…</p>
      </>
    );
  }
  if (!customer.data) {
    return (
      <>
        <h1>Customer {customerId}</h1>
        <ErrorMessage error={customer.error} />
        <p>
          <Link to="/customers">Back to customers</Link>
        </p>
      </>
    );
  }
  const c = customer.data;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/customers">Customers</Link> <span aria-hidden="true">/</span> {c.name}
      </nav>
      <div className="page-header">
        <div>
          <h1>{c.name}</h1>
          <p className="subtitle">
            {c.email} · <code>{c.id}</code> · customer since {formatInstant(c.createdAt)}
          </p>
        </div>
        <div className="page-header-side">
          <LiveStatus query={customer} />
          {temporal && (
            <a href={temporal} target="_blank" rel="noreferrer noopener" className="external">
              Loyalty workflow in Temporal
              <span className="visually-hidden"> (opens in a new tab)</span>
            </a>
          )}
        </div>
      </div>
      <div className="columns">
        <div className="stack">
          <LoyaltySection customerId={c.id} />
          <CouponsSection customerId={c.id} />
        </div>
        <div className="stack">
          <CustomerSubscriptions customerId={c.id} />
          <PurchasesSection customerId={c.id} />
          <EmailsSection customerId={c.id} />
        </div>
      </div>
    </>
  );
}
