import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const { IndexedValueType } = temporal.api.enums.v1;

/** A custom search attribute a workflow sets: its name and type (`defineSearchAttributeKey`'s). */
export interface SearchAttributeSpec {
  readonly name: string;
  readonly type: SearchAttributeType;
}

/**
 * The two calls of Temporal's OperatorService this needs: `connection.operatorService` of a
 * client `Connection` or of a worker's `NativeConnection`.
 */
export interface SearchAttributeOperator {
  listSearchAttributes(request: { namespace: string }): Promise<{
    customAttributes?: Record<string, IndexedValueType> | null;
    systemAttributes?: Record<string, IndexedValueType> | null;
  }>;
  addSearchAttributes(request: {
    namespace: string;
    searchAttributes: Record<string, IndexedValueType>;
  }): Promise<unknown>;
}

export interface EnsureSearchAttributesOptions {
  readonly operator: SearchAttributeOperator;
  readonly namespace: string;
  readonly attributes: readonly SearchAttributeSpec[];
  /**
   * How long attributes just added may take to be listed (a server's namespace cache refreshes
   * every few seconds). Default 15 s.
   */
  readonly settleMs?: number;
  /**
   * How long a namespace the server does not know is waited for: a Temporal server that just
   * restarted answers NOT_FOUND until it has loaded its namespaces. Default 60 s.
   */
  readonly namespaceWaitMs?: number;
}

/**
 * The namespace lacks search attributes the workflows set, or has one with another type, and
 * they could not be added: one line saying what to run. A worker must not start without them —
 * every workflow task that sets an unknown attribute fails, again and again.
 */
export class SearchAttributesError extends Error {
  override readonly name = 'SearchAttributesError';
  constructor(
    message: string,
    readonly namespace: string,
    /** The attributes missing or of the wrong type. */
    readonly attributes: readonly string[],
  ) {
    super(message);
  }
}

/** Each type: the server's enum value, and the name the CLI and Temporal Cloud use (`Datetime`). */
const TYPES: Record<
  SearchAttributeType,
  { readonly value: IndexedValueType; readonly name: string }
> = {
  TEXT: { value: IndexedValueType.INDEXED_VALUE_TYPE_TEXT, name: 'Text' },
  KEYWORD: { value: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, name: 'Keyword' },
  INT: { value: IndexedValueType.INDEXED_VALUE_TYPE_INT, name: 'Int' },
  DOUBLE: { value: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE, name: 'Double' },
  BOOL: { value: IndexedValueType.INDEXED_VALUE_TYPE_BOOL, name: 'Bool' },
  DATETIME: { value: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, name: 'Datetime' },
  KEYWORD_LIST: { value: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST, name: 'KeywordList' },
};

/** A type's name as the CLI, its dev server's `--search-attribute` and Temporal Cloud spell it. */
export function searchAttributeTypeName(type: SearchAttributeType): string {
  return TYPES[type].name;
}

const typeNameOf = (value: IndexedValueType): string =>
  Object.values(TYPES).find((t) => t.value === value)?.name ?? `type ${value}`;

// gRPC status codes (fixed by the gRPC spec) that a retry may get past: the caller's reconnect
// loop handles them. Any other status is the server's answer, and no retry changes it.
const TRANSIENT_CODES = new Set([
  1, // CANCELLED
  2, // UNKNOWN
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  10, // ABORTED
  13, // INTERNAL
  14, // UNAVAILABLE
]);
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const CODE_NAMES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  9: 'FAILED_PRECONDITION',
  12: 'UNIMPLEMENTED',
  16: 'UNAUTHENTICATED',
};

/** The server's refusal, as `CODE: reason` on one line; undefined for anything a retry may fix. */
function refusalOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'number' || TRANSIENT_CODES.has(code)) return undefined;
  const { details, message } = error as { details?: unknown; message?: unknown };
  const reason =
    (typeof details === 'string' && details) || (typeof message === 'string' ? message : '');
  return `${CODE_NAMES[code] ?? `code ${code}`}: ${reason.replace(/\s+/g, ' ').trim()}`;
}

/** What an operator runs to register `attributes` in `namespace`: the CLI, and Temporal Cloud's way. */
export function searchAttributeCommands(
  namespace: string,
  attributes: readonly SearchAttributeSpec[],
): string {
  // The CLI takes one --type per command: one command per type.
  const byType = new Map<string, string[]>();
  for (const { name, type } of attributes) {
    byType.set(TYPES[type].name, [...(byType.get(TYPES[type].name) ?? []), name]);
  }
  const cli = [...byType]
    .map(
      ([type, names]) =>
        `temporal operator search-attribute create --namespace ${namespace} ${names
          .map((n) => `--name ${n}`)
          .join(' ')} --type ${type}`,
    )
    .join(' && ');
  const cloud = `tcld namespace search-attributes add --namespace ${namespace} ${attributes
    .map(({ name, type }) => `--sa ${name}=${TYPES[type].name}`)
    .join(' ')}`;
  return `${cli}; on Temporal Cloud: ${cloud} (or the Cloud UI: Namespaces → ${namespace} → Search Attributes)`;
}

/**
 * The attributes of `attributes` that `namespace` does not list with their type: what an API
 * reports as not ready (every workflow start and upsert naming one fails until it is registered;
 * a worker registers them when it starts). Read-only, unlike {@link ensureSearchAttributes}.
 */
export async function missingSearchAttributes(
  operator: Pick<SearchAttributeOperator, 'listSearchAttributes'>,
  namespace: string,
  attributes: readonly SearchAttributeSpec[],
): Promise<readonly string[]> {
  const { customAttributes, systemAttributes } = await operator.listSearchAttributes({ namespace });
  const known = { ...systemAttributes, ...customAttributes };
  return attributes.filter((a) => known[a.name] !== TYPES[a.type].value).map((a) => a.name);
}

/**
 * Makes sure `namespace` knows every custom search attribute in `attributes`, with its type,
 * before a worker polls: lists them, adds the missing ones (the dev server and a self-hosted
 * server allow it; Temporal Cloud's namespace-scoped credentials do not), and lists again.
 * Idempotent: a second call adds nothing. Returns the names that were missing (now registered).
 *
 * Throws {@link SearchAttributesError} — one line naming the commands to run — when one is
 * missing and could not be added, or exists with another type (a type never changes). A
 * connection problem (UNAVAILABLE, a timeout…) is rethrown as it is, for the caller's reconnect
 * loop.
 *
 * @example
 * ```ts
 * const { added } = await ensureSearchAttributes({
 *   operator: connection.operatorService,
 *   namespace: 'default',
 *   attributes: SEARCH_ATTRIBUTE_KEYS,
 * });
 * ```
 */
export async function ensureSearchAttributes(
  options: EnsureSearchAttributesOptions,
): Promise<{ readonly added: readonly string[] }> {
  const { operator, namespace, attributes } = options;
  const settleMs = options.settleMs ?? 15_000;
  const refused = (what: string, names: readonly SearchAttributeSpec[], reason: string) =>
    new SearchAttributesError(
      `${what} (${reason}); register them, then start again: ${searchAttributeCommands(namespace, names)}`,
      namespace,
      names.map((a) => a.name),
    );

  const namespaceDeadline = Date.now() + (options.namespaceWaitMs ?? 60_000);
  const registered = async (): Promise<Record<string, IndexedValueType>> => {
    for (;;) {
      try {
        const { customAttributes, systemAttributes } = await operator.listSearchAttributes({
          namespace,
        });
        return { ...systemAttributes, ...customAttributes };
      } catch (error) {
        const notFound = (error as { code?: unknown } | null)?.code === NOT_FOUND;
        if (!notFound || Date.now() >= namespaceDeadline) return refuseListing(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const refuseListing = (error: unknown): never => {
    const refusal = refusalOf(error);
    if (refusal === undefined) throw error;
    throw refused(
      `cannot list the search attributes of Temporal namespace ${namespace} to check for ${attributes.map((a) => a.name).join(', ')}`,
      attributes,
      refusal,
    );
  };
  const missingFrom = (known: Record<string, IndexedValueType>) =>
    attributes.filter((a) => known[a.name] === undefined);
  const checkTypes = (known: Record<string, IndexedValueType>) => {
    const wrong = attributes.filter(
      (a) => known[a.name] !== undefined && known[a.name] !== TYPES[a.type].value,
    );
    if (wrong.length === 0) return;
    const what = wrong
      .map(
        (a) =>
          `${a.name} is ${typeNameOf(known[a.name] as IndexedValueType)}, not ${TYPES[a.type].name}`,
      )
      .join('; ');
    throw new SearchAttributesError(
      `Temporal namespace ${namespace}: search attribute ${what} — a type cannot change: remove it (temporal operator search-attribute remove --namespace ${namespace} --name …) or use another namespace`,
      namespace,
      wrong.map((a) => a.name),
    );
  };

  let known = await registered();
  checkTypes(known);
  const missing = missingFrom(known);
  if (missing.length === 0) return { added: [] };

  let refusal: string | undefined;
  let addedHere = true;
  try {
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, TYPES[a.type].value])),
    });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === ALREADY_EXISTS) {
      // Another replica starting at the same moment added them: wait for them as for ours.
      addedHere = false;
    } else {
      refusal = refusalOf(error);
      if (refusal === undefined) throw error;
    }
  }
  // Added: listed once the server's cache has them. Refused: someone may have added them since.
  const deadline = Date.now() + (refusal === undefined ? settleMs : 0);
  for (;;) {
    known = await registered();
    if (missingFrom(known).length === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  checkTypes(known);
  const still = missingFrom(known);
  if (still.length > 0) {
    const list = still.map((a) => `${a.name} (${TYPES[a.type].name})`).join(', ');
    throw refused(
      `Temporal namespace ${namespace} lacks the search attributes ${list} that the workflows set, and they could not be added`,
      still,
      refusal ?? `still not listed ${settleMs} ms after being added`,
    );
  }
  return { added: addedHere ? missing.map((a) => a.name) : [] };
}
