/** What every page uses, provided once by the app: the API client, the host's config, timing. */
import { createContext, useContext, type ReactNode } from 'react';
import type { ApiClient } from '../api/client';
import type { ConsoleConfig } from '../config/console-config';

export interface PollIntervals {
  /** A subscription or customer being watched (charges and purchases appear on their own). */
  readonly live: number | false;
  readonly overview: number | false;
  readonly list: number | false;
}

export const DEFAULT_POLL: PollIntervals = { live: 2_500, overview: 10_000, list: 10_000 };

export interface Services {
  readonly api: ApiClient;
  readonly config: ConsoleConfig | null;
  readonly poll: PollIntervals;
  readonly now: () => Date;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({
  services,
  children,
}: {
  services: Services;
  children: ReactNode;
}) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices: no ServicesProvider above this component');
  return services;
}
