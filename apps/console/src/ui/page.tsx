import { useEffect, type ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { errorMessage } from '../api/api-error';

/** Sets the tab's title while a page is shown. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Invincible console`;
  }, [title]);
}

/**
 * When the data on screen was read, and whether live updates are failing (the last good data
 * stays on screen meanwhile).
 */
export function LiveStatus({
  query,
}: {
  query: Pick<UseQueryResult, 'dataUpdatedAt' | 'isError' | 'error' | 'data'>;
}) {
  if (!query.data) return null;
  const at = new Date(query.dataUpdatedAt).toLocaleTimeString();
  return (
    <p className={`live ${query.isError ? 'live-stale' : ''}`}>
      {query.isError ? (
        <>
          Live updates paused: {errorMessage(query.error)} Showing data from {at}.
        </>
      ) : (
        <>
          <span className="live-dot" aria-hidden="true" /> Live · updated {at}
        </>
      )}
    </p>
  );
}

/** A titled part of a page, named for assistive technology by its heading. */
export function Section({
  id,
  title,
  actions,
  children,
}: {
  id: string;
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="card-header">
        <h2 id={`${id}-title`}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A wide table that scrolls on its own on a narrow screen (and by keyboard: it takes focus). */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
