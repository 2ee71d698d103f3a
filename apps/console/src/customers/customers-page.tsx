import { keepPreviousData, useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { body } from '../api/client';
import { idempotencyKeys } from '../api/idempotency';
import { formatShort } from '../format/time';
import { useAnnounce } from '../ui/announcer';
import { ErrorMessage } from '../ui/error-message';
import { LiveStatus, Section, TableScroll, useDocumentTitle } from '../ui/page';
import { useServices } from '../ui/services';

const PAGE_SIZE = 25;

/** `value`, once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function CustomersPage() {
  useDocumentTitle('Customers');
  const { api, poll } = useServices();
  // The search is in the address (`?q=`): a search can be shared and survives a reload.
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const q = useDebounced(text.trim(), 300);
  const searchId = useId();

  useEffect(() => {
    setParams(q ? { q } : {}, { replace: true });
  }, [q, setParams]);

  const customers = useInfiniteQuery({
    queryKey: ['customers', q],
    queryFn: ({ pageParam, signal }) =>
      body(
        api.GET('/v1/customers', {
          params: {
            query: {
              limit: PAGE_SIZE,
              ...(q ? { q } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
          signal,
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: poll.list,
  });
  const rows = customers.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <div className="page-header">
        <h1>Customers</h1>
        <LiveStatus query={customers} />
      </div>
      <div className="columns">
        <Section id="customer-list" title="All customers">
          <form role="search" className="search" onSubmit={(e) => e.preventDefault()}>
            <label htmlFor={searchId}>Search customers</label>
            <input
              id={searchId}
              type="search"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="Name, email or id"
              autoComplete="off"
            />
          </form>
          {customers.isError && !customers.data && <ErrorMessage error={customers.error} />}
          {customers.isPending && <p className="muted">Loading customers…</p>}
          {customers.data && rows.length === 0 && (
            <p className="muted">{q ? `No customer matches “${q}”.` : 'No customers yet.'}</p>
          )}
          {rows.length > 0 && (
            <TableScroll label="Customers table">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Id</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/customers/${encodeURIComponent(c.id)}`}>{c.name}</Link>
                      </td>
                      <td>{c.email}</td>
                      <td>
                        <code>{c.id}</code>
                      </td>
                      <td>{formatShort(c.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
          {customers.hasNextPage && (
            <button
              type="button"
              className="button"
              disabled={customers.isFetchingNextPage}
              onClick={() => void customers.fetchNextPage()}
            >
              {customers.isFetchingNextPage ? 'Loading…' : 'Show more customers'}
            </button>
          )}
        </Section>
        <NewCustomer />
      </div>
    </>
  );
}

function NewCustomer() {
  const { api } = useServices();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const keys = useRef(idempotencyKeys());
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [id, setId] = useState('');
  const ids = { name: useId(), email: useId(), id: useId() };

  const create = useMutation({
    mutationFn: (values: { name: string; email: string; id?: string }) =>
      body(
        api.POST('/v1/customers', {
          body: values,
          params: { header: { 'Idempotency-Key': keys.current.keyFor(values) } },
        }),
      ),
    onSuccess: (customer) => {
      keys.current.reset();
      announce(`Customer ${customer.name} created.`);
      void navigate(`/customers/${encodeURIComponent(customer.id)}`);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const values = {
      name: name.trim(),
      email: email.trim(),
      ...(id.trim() ? { id: id.trim() } : {}),
    };
    create.mutate(values);
  };

  return (
    <Section id="new-customer" title="New customer">
      <form onSubmit={submit} className="form">
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor={ids.id}>Customer id (optional)</label>
          <input
            id={ids.id}
            value={id}
            onChange={(e) => setId(e.target.value)}
            aria-describedby={`${ids.id}-hint`}
            autoComplete="off"
          />
          <p className="hint" id={`${ids.id}-hint`}>
            Your own id, such as cus_ada. Left empty, the API makes one.
          </p>
        </div>
        <ErrorMessage error={create.error} />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create customer'}
          </button>
        </div>
      </form>
    </Section>
  );
}
