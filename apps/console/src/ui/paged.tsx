import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/**
 * A cursor-paged listing of the API, refreshed every `refetchInterval` (every page loaded so far
 * is read again, so a new row appears without a reload).
 */
export function usePaged<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
  refetchInterval: number | false,
  enabled = true,
) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) => fetchPage(pageParam === '' ? undefined : pageParam, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<T>) => last.nextCursor ?? undefined,
    refetchInterval,
    enabled,
  });
  const items: readonly T[] = query.data?.pages.flatMap((p) => p.items) ?? [];
  return { query, items };
}

/** The "more" button of a paged listing. */
export function ShowMore({
  query,
  label,
}: {
  query: {
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => Promise<unknown>;
  };
  label: string;
}) {
  if (!query.hasNextPage) return null;
  return (
    <button
      type="button"
      className="button"
      disabled={query.isFetchingNextPage}
      onClick={() => void query.fetchNextPage()}
    >
      {query.isFetchingNextPage ? 'Loading…' : label}
    </button>
  );
}
