/** One page of a listing; `nextCursor` is opaque and null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface PageRequest {
  /** 1 to 100; default 20. */
  readonly limit?: number;
  /** A `nextCursor` from the previous page of the same listing. */
  readonly cursor?: string | null;
}

/** The result of an idempotent insert: what is stored, and whether this call stored it. */
export interface Stored<T> {
  readonly record: T;
  readonly created: boolean;
}
