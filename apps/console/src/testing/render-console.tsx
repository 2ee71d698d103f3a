import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { ConsoleApp } from '../app';
import { createKeyStore, type KeyStore } from '../auth/session';
import type { ConsoleConfig } from '../config/console-config';
import type { PollIntervals } from '../ui/services';

export const NOW = new Date('2026-06-01T12:00:13Z');

export function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

/** Where the router is, for assertions on navigation. */
function Location() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname}</output>;
}

export interface RenderOptions {
  readonly fetch: (request: Request) => Promise<Response>;
  readonly path: string;
  /** Signed in with this key (null: signed out). */
  readonly apiKey?: string | null;
  readonly devKey?: string | null;
  readonly config?: ConsoleConfig | null;
  readonly poll?: PollIntervals;
}

export interface RenderedConsole {
  readonly unmount: () => void;
  readonly storage: ReturnType<typeof memoryStorage>;
  readonly keyStore: KeyStore;
  readonly queryClient: QueryClient;
}

/** The whole console, as main.tsx assembles it, under a memory router and a fake network. */
export function renderConsole(options: RenderOptions): RenderedConsole {
  const apiKey = options.apiKey === undefined ? 'test-key' : options.apiKey;
  const storage = memoryStorage(apiKey ? { 'invincible.console.apiKey': apiKey } : {});
  const keyStore = createKeyStore(storage);
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  const result = render(
    <MemoryRouter initialEntries={[options.path]}>
      <ConsoleApp
        keyStore={keyStore}
        queryClient={queryClient}
        baseUrl="http://console.test"
        fetch={options.fetch}
        config={Promise.resolve(options.config ?? null)}
        devKey={Promise.resolve(options.devKey ?? null)}
        poll={options.poll ?? { live: false, overview: false, list: false }}
        now={() => NOW}
      />
      <Location />
    </MemoryRouter>,
  );
  return { unmount: result.unmount, storage, keyStore, queryClient };
}
