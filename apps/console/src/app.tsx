/**
 * The console: providers, then the routes (under the router the caller chooses: the browser's
 * under `/console` in main.tsx, a memory router in tests).
 */
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, Route, Routes } from 'react-router';
import { createApiClient } from './api/client';
import { AuthProvider, RequireAuth, useAuth } from './auth/auth';
import type { KeyStore } from './auth/session';
import { SignInPage } from './auth/sign-in-page';
import type { ConsoleConfig } from './config/console-config';
import { AnnouncerProvider } from './ui/announcer';
import { Layout } from './ui/layout';
import { useDocumentTitle } from './ui/page';
import { DEFAULT_POLL, ServicesProvider, type PollIntervals } from './ui/services';

// Each page is its own chunk, loaded when first visited: the first load is the frame and sign-in.
const OverviewPage = lazy(() =>
  import('./overview/overview-page').then((m) => ({ default: m.OverviewPage })),
);
const CustomersPage = lazy(() =>
  import('./customers/customers-page').then((m) => ({ default: m.CustomersPage })),
);
const CustomerPage = lazy(() =>
  import('./customers/customer-page').then((m) => ({ default: m.CustomerPage })),
);
const SubscriptionPage = lazy(() =>
  import('./subscriptions/subscription-page').then((m) => ({ default: m.SubscriptionPage })),
);

export interface ConsoleAppProps {
  readonly keyStore: KeyStore;
  readonly queryClient: QueryClient;
  /** The API's origin (the page's own). */
  readonly baseUrl: string;
  /** The network for API calls (tests pass a fake). */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** `config.json` of the host (null: none); pages render before it arrives. */
  readonly config: Promise<ConsoleConfig | null>;
  readonly devKey: Promise<string | null>;
  readonly poll?: PollIntervals;
  readonly now?: () => Date;
}

export function ConsoleApp(props: ConsoleAppProps) {
  const { keyStore, queryClient } = props;
  const onSignOut = useCallback(() => queryClient.clear(), [queryClient]);
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider keyStore={keyStore} onSignOut={onSignOut}>
        <AnnouncerProvider>
          <SignedInServices {...props} />
        </AnnouncerProvider>
      </AuthProvider>
    </QueryClientProvider>
  );
}

function SignedInServices(props: ConsoleAppProps) {
  const auth = useAuth();
  // The client is made once; it reads the key and reaches the auth state through refs.
  const authRef = useRef(auth);
  authRef.current = auth;
  const { keyStore, baseUrl, fetch, poll, now } = props;
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  useEffect(() => {
    let live = true;
    void props.config.then((c) => {
      if (live) setConfig(c);
    });
    return () => {
      live = false;
    };
  }, [props.config]);
  const services = useMemo(
    () => ({
      api: createApiClient({
        baseUrl,
        apiKey: () => keyStore.get(),
        ...(fetch ? { fetch } : {}),
        onUnauthorized: () => {
          if (keyStore.get() !== null)
            authRef.current.signOut('The API no longer accepts that key. Sign in again.');
        },
      }),
      config,
      poll: poll ?? DEFAULT_POLL,
      now: now ?? (() => new Date()),
    }),
    [keyStore, baseUrl, fetch, config, poll, now],
  );
  return (
    <ServicesProvider services={services}>
      <Routes>
        <Route
          path="/sign-in"
          element={
            <SignInPage baseUrl={baseUrl} devKey={props.devKey} {...(fetch ? { fetch } : {})} />
          }
        />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route index element={<OverviewPage />} />
          <Route path="customers" element={<CustomersPage />} />
          <Route path="customers/:customerId" element={<CustomerPage />} />
          <Route path="subscriptions/:subscriptionId" element={<SubscriptionPage />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </ServicesProvider>
  );
}

function NotFound() {
  useDocumentTitle('Not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. Go to the <Link to="/">overview</Link> or the{' '}
        <Link to="/customers">customers</Link>.
      </p>
    </>
  );
}
