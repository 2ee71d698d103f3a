import { randomUUID } from 'node:crypto';
import type { Fetcher, FetcherRequestInfo, FetcherResponseInfo } from '@datastax/astra-db-ts';

/**
 * An in-process emulator of the Stargate Data API (the JSON API behind Astra DB), as an
 * astra-db-ts custom {@link Fetcher}. It behaves like a **self-managed Data API 1.0.51 on Apache
 * Cassandra 5.0**, whose real answers are recorded in `recorded/*.json` beside this file (cited below
 * as `NN/case`): HTTP 200 with `errors[]`, range filters and `$or` refused by the database, sorted
 * reads in memory capped at one page of 50 without page state, unsorted reads in Cassandra token
 * order with resumable page states.
 *
 * Only the subset of the Data API the astra adapter uses is emulated; a command or operator
 * outside it answers `EMULATOR_UNSUPPORTED` (family SERVER, scope EMULATOR) so a test notices
 * rather than getting a made-up answer.
 *
 * @example
 * ```ts
 * const emulator = createDataApiEmulator();
 * const client = new DataAPIClient(new UsernamePasswordTokenProvider('cassandra', 'cassandra'), {
 *   environment: 'dse',
 *   httpOptions: { client: 'custom', fetcher: emulator },
 * });
 * const db = client.db('http://emulator:8181', { keyspace: 'ks' });
 * await db.admin({ environment: 'dse' }).createKeyspace('ks');
 * emulator.failNext((c) => c.command === 'insertOne', { throws: new TypeError('fetch failed') });
 * ```
 */

/** A stored or sent Data API document (EJSON: dates are `{"$date": ms}`). */
export type Doc = Record<string, unknown>;

/** Options of {@link createDataApiEmulator}; the defaults are the server's own. */
export interface DataApiEmulatorOptions {
  /** Collections per database, all keyspaces together (`max-collections`; stock 5). */
  readonly maxCollections?: number;
  /** Documents per page of `find` (`default-page-size`, 50). */
  readonly pageSize?: number;
  /** Documents an in-memory sort may read before DATASET_TOO_BIG (`max-sort-read-limit`, 10000). */
  readonly maxSortCount?: number;
  /** Documents `countDocuments` counts before answering `moreData` (`max-count-limit`, 1000). */
  readonly maxCountLimit?: number;
  /** Documents one `deleteMany`/`updateMany` call touches before answering `moreData` (20). */
  readonly maxManyCount?: number;
}

/** One command the emulator served (faults included), in the order it was received. */
export interface ServedCommand {
  /** The URL path, e.g. `/v1/ks/coll`. */
  readonly path: string;
  /** The command name, e.g. `insertOne`. */
  readonly command: string;
  /** The command's body (what is under the command name). */
  readonly payload: Record<string, unknown>;
}

/** One entry of a Data API answer's `errors[]`. */
export interface DataApiErrorBody {
  readonly id: string;
  readonly family: string;
  readonly scope: string;
  readonly errorCode: string;
  readonly title: string;
  readonly message: string;
  readonly documentIds?: readonly unknown[];
}

/** The JSON body of a Data API answer. */
export interface DataApiResponse {
  status?: Record<string, unknown>;
  data?: Record<string, unknown>;
  errors?: DataApiErrorBody[];
}

/**
 * What {@link DataApiEmulator.failNext} answers instead of (or after) serving a command:
 * a Data API error, a thrown error (a network failure), or a bare HTTP status.
 */
export type FaultReply = (
  | {
      readonly errorCode: string;
      readonly family?: string;
      readonly scope?: string;
      readonly title?: string;
      readonly message?: string;
    }
  | { readonly throws: Error }
  | { readonly httpStatus: number; readonly body?: string }
) & {
  /**
   * `'before'` (default): the command is not applied. `'after'`: the command is applied and its
   * answer is lost — the case every retried write must survive.
   */
  readonly when?: 'before' | 'after';
};

/** The emulator: an astra-db-ts `Fetcher` plus helpers for tests. */
export interface DataApiEmulator extends Fetcher {
  /** Serves one command synchronously (what `fetch` does, without faults or HTTP). */
  execute(path: string, body: unknown): DataApiResponse;
  /** Changes the collection limit, as restarting the server with another `max-collections`. */
  setMaxCollections(n: number): void;
  /** The collection names of `keyspace`, sorted (empty if it does not exist). */
  collections(keyspace: string): string[];
  /** A copy of the documents of a collection, in token order. */
  documents(keyspace: string, collection: string): Doc[];
  /** Every command served, in order. */
  readonly commands: ServedCommand[];
  /** Answers the next command matching `match` with `reply` (once); faults queue in order. */
  failNext(match: (command: ServedCommand) => boolean, reply: FaultReply): void;
}

// ---------------------------------------------------------------------------------------------
// Errors (family, scope and title as recorded; messages only approximate the server's)
// ---------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(
    readonly family: string,
    readonly scope: string,
    readonly errorCode: string,
    readonly title: string,
    message: string,
    readonly documentIds?: unknown[],
  ) {
    super(message);
  }

  body(): DataApiErrorBody {
    return {
      id: randomUUID(),
      family: this.family,
      scope: this.scope,
      errorCode: this.errorCode,
      title: this.title,
      message: this.message,
      ...(this.documentIds ? { documentIds: this.documentIds } : {}),
    };
  }
}

const err = {
  // 09/"an unknown command": a legacy error code, scope "".
  commandUnknown: (name: string) =>
    new ApiError(
      'REQUEST',
      '',
      'COMMAND_UNKNOWN',
      'Command is not recognized by Data API',
      `Command '${name}' is not a Collection Command recognized by Data API.`,
    ),
  // 02/#6, #7.
  tooManyCollections: (name: string, max: number, has: number) =>
    new ApiError(
      'REQUEST',
      'SCHEMA',
      'TOO_MANY_COLLECTIONS',
      'Too many collections',
      `Cannot create collection '${name}': the maximum number of collections per database is ${max}, database already has ${has}.`,
    ),
  // 02/"different indexing".
  differentSettings: (name: string) =>
    new ApiError(
      'REQUEST',
      'SCHEMA',
      'EXISTING_COLLECTION_DIFFERENT_SETTINGS',
      'Collection already exists with different settings',
      `Collection '${name}' already exists but with settings different from ones passed with 'createCollection' command.`,
    ),
  // Not recorded: legacy codes of the 1.0.x server, scope "".
  keyspaceMissing: (ks: string) =>
    new ApiError(
      'REQUEST',
      '',
      'KEYSPACE_DOES_NOT_EXIST',
      'Keyspace does not exist',
      `Unknown keyspace '${ks}', you must create it first.`,
    ),
  collectionMissing: (name: string) =>
    new ApiError(
      'REQUEST',
      '',
      'COLLECTION_NOT_EXIST',
      'Collection does not exist',
      `Collection does not exist, collection name: ${name}`,
    ),
  // 03, 04.
  documentExists: (id: unknown) =>
    new ApiError(
      'REQUEST',
      'DOCUMENT',
      'DOCUMENT_ALREADY_EXISTS',
      'Document the given _id already exists',
      `Cannot insert the document: a document already exists with given '_id' (${JSON.stringify(id)}).`,
      [id],
    ),
  // 09/"$foo" in a filter.
  filterOperator: (op: string) =>
    new ApiError(
      'REQUEST',
      'FILTER',
      'FILTER_UNSUPPORTED_OPERATOR',
      'Unsupported filter operator',
      `Unsupported filter operator '${op}'.`,
    ),
  // 09/"a filter on a field the collection does not index".
  filterUnindexed: (path: string) =>
    new ApiError(
      'REQUEST',
      'FILTER',
      'FILTER_PATH_UNINDEXED',
      'Collection path used in filter clause not indexed',
      `Collection path '${path}' is not indexed: cannot filter on that path.`,
    ),
  // 08/"{_id:{$gt}}".
  idRange: (op: string) =>
    new ApiError(
      'REQUEST',
      'FILTER',
      'FILTER_ID_NOT_INDEXED',
      "Collection field '_id' not indexed can only filter with '$eq' or '$in'",
      `Collection field '_id' is never indexed so filtering can only be done using operators '$eq' or '$in', not '${op}'.`,
    ),
  // 05, 06, 08/subscriptions cursor: a range relation on a map entry.
  invalidQuery: (detail: string) =>
    new ApiError(
      'SERVER',
      'DATABASE',
      'INVALID_DATABASE_QUERY',
      'Invalid database query',
      `The Data API command generated a database query that while syntactically correct, was rejected as invalid by the database. The database error: ${detail}.`,
    ),
  // 08/$or cursors: Cassandra 5.0's CQL has no OR.
  unsupportedQuery: () =>
    new ApiError(
      'SERVER',
      'DATABASE',
      'UNSUPPORTED_DATABASE_QUERY',
      'Unsupported database query',
      "The Data API command generated a database query that was syntactically incorrect, and was rejected by the database. The database error: no viable alternative at input 'OR'.",
    ),
  // 07/sort {_id:1}.
  sortUnindexed: (path: string) =>
    new ApiError(
      'REQUEST',
      'SORT',
      'SORT_CLAUSE_PATH_UNINDEXED',
      'Collection field used in sort clause not indexed',
      `Collection field '${path}' is not indexed: cannot sort using it.`,
    ),
  // Not recorded: the Data API's legacy code (ErrorCode.DATASET_TOO_BIG, "Response data set too
  // big to be sorted, add more filters"), found in the stargate/data-api source.
  datasetTooBig: (max: number) =>
    new ApiError(
      'REQUEST',
      '',
      'DATASET_TOO_BIG',
      'Response data set too big to be sorted, add more filters',
      `Response data set too big to be sorted, add more filters: maximum sortable count = ${max}`,
    ),
  // 09/"$foo" as an update operator.
  updateOperator: (op: string) =>
    new ApiError(
      'REQUEST',
      'UPDATE',
      'UNSUPPORTED_UPDATE_OPERATION',
      'Unsupported update operation',
      `Unsupported update operation: Unrecognized update operator '${op}'.`,
    ),
  // Not recorded: the code names are the Data API's, family/scope assumed.
  updateTarget: (op: string, path: string) =>
    new ApiError(
      'REQUEST',
      'UPDATE',
      'UNSUPPORTED_UPDATE_OPERATION_TARGET',
      'Unsupported target for update operation',
      `Update operator '${op}' cannot be applied to path '${path}'.`,
    ),
  updateId: () =>
    new ApiError(
      'REQUEST',
      'UPDATE',
      'UNSUPPORTED_UPDATE_FOR_DOC_ID',
      "Cannot update '_id'",
      "Update operators cannot be used on the document '_id'.",
    ),
  // Not recorded: the server's bean validation of command fields (a legacy code, scope "").
  fieldInvalid: (field: string, problem: string) =>
    new ApiError(
      'REQUEST',
      '',
      'COMMAND_FIELD_INVALID',
      'Request invalid',
      `Request invalid: field '${field}' not valid. Problem: ${problem}.`,
    ),
  invalidRequest: (message: string) =>
    new ApiError('REQUEST', '', 'INVALID_REQUEST', 'Invalid request', message),
  emulatorUnsupported: (what: string) =>
    new ApiError(
      'SERVER',
      'EMULATOR',
      'EMULATOR_UNSUPPORTED',
      'Not emulated',
      `${what} is not emulated by data-api-emulator.ts.`,
    ),
};

// ---------------------------------------------------------------------------------------------
// Cassandra's token order: Murmur3Partitioner over the collection table's partition key
// ---------------------------------------------------------------------------------------------

const MASK64 = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK64;
const mul = (a: bigint, b: bigint) => (a * b) & MASK64;
const add = (a: bigint, b: bigint) => (a + b) & MASK64;
function fmix(k0: bigint): bigint {
  let k = k0 ^ (k0 >> 33n);
  k = mul(k, 0xff51afd7ed558ccdn);
  k ^= k >> 33n;
  k = mul(k, 0xc4ceb9fe1a85ec53n);
  return k ^ (k >> 33n);
}

/**
 * Cassandra's MurmurHash.hash3_x64_128 (seed 0), first half, as a signed token. Cassandra's tail
 * reads *signed* bytes (a quirk kept for compatibility), so the tail sign-extends them.
 */
function murmur3Token(key: Buffer): bigint {
  const length = key.length;
  const nblocks = length >> 4;
  let h1 = 0n;
  let h2 = 0n;
  for (let i = 0; i < nblocks; i++) {
    let k1 = key.readBigUInt64LE(i * 16);
    let k2 = key.readBigUInt64LE(i * 16 + 8);
    k1 = mul(rotl(mul(k1, C1), 31n), C2);
    h1 ^= k1;
    h1 = add(mul(add(rotl(h1, 27n), h2), 5n), 0x52dce729n);
    k2 = mul(rotl(mul(k2, C2), 33n), C1);
    h2 ^= k2;
    h2 = add(mul(add(rotl(h2, 31n), h1), 5n), 0x38495ab5n);
  }
  const tail = nblocks * 16;
  const byte = (i: number) => BigInt.asUintN(64, BigInt(key.readInt8(tail + i)));
  const rest = length & 15;
  let k1 = 0n;
  let k2 = 0n;
  for (let i = rest - 1; i >= 8; i--) k2 ^= (byte(i) << BigInt((i - 8) * 8)) & MASK64;
  if (rest > 8) h2 ^= mul(rotl(mul(k2, C2), 33n), C1);
  for (let i = Math.min(rest, 8) - 1; i >= 0; i--) k1 ^= (byte(i) << BigInt(i * 8)) & MASK64;
  if (rest > 0) h1 ^= mul(rotl(mul(k1, C1), 31n), C2);
  h1 ^= BigInt(length);
  h2 ^= BigInt(length);
  h1 = add(h1, h2);
  h2 = add(h2, h1);
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = add(h1, h2);
  const token = BigInt.asIntN(64, h1);
  return token === -(1n << 63n) ? (1n << 63n) - 1n : token; // Murmur3Partitioner.normalize
}

/**
 * The partition key of a document: `key tuple<tinyint, text>` (the id's type, 1 for strings,
 * and its text), serialized as a CQL tuple — the bytes recorded inside the page states of 07.
 */
function partitionKey(id: unknown): Buffer {
  const [type, text] =
    typeof id === 'string'
      ? [1, id]
      : typeof id === 'number'
        ? [2, String(id)]
        : typeof id === 'boolean'
          ? [3, String(id)]
          : id === null
            ? [4, '']
            : [5, JSON.stringify(id)];
  const value = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(4 + 1 + 4 + value.length);
  out.writeInt32BE(1, 0);
  out.writeInt8(type, 4);
  out.writeInt32BE(value.length, 5);
  value.copy(out, 9);
  return out;
}

// Cassandra's unsigned vint: the count of leading 1 bits of the first byte is the count of extra bytes.
function writeVInt(value: number): Buffer {
  let v = BigInt(value);
  const bits = value === 0 ? 1 : v.toString(2).length;
  const size = Math.min(9, Math.max(1, Math.ceil(bits / 7)));
  const out = Buffer.alloc(size);
  for (let i = size - 1; i >= 1; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] = Number(v) | (size === 1 ? 0 : (0xff << (9 - size)) & 0xff);
  return out;
}

function readVInt(buf: Buffer, at: number): [value: number, next: number] {
  const first = buf[at] ?? 0;
  let extra = 0;
  while (extra < 8 && (first & (0x80 >> extra)) !== 0) extra++;
  let v = BigInt(first & (0xff >> extra));
  for (let i = 1; i <= extra; i++) v = (v << 8n) | BigInt(buf[at + i] ?? 0);
  return [Number(v), at + 1 + extra];
}

const MAX_INT = 2 ** 31 - 1;

/**
 * A page state as Cassandra's driver makes it (07: base64 of vint-length partition key, empty row
 * mark, remaining rows of the query's limit, remaining in partition), so the emulator resumes
 * from the recorded states too. It holds a position, not an offset: inserts and deletes between
 * pages do not shift it.
 */
function encodePageState(lastKey: Buffer, remaining: number): string {
  return Buffer.concat([
    writeVInt(lastKey.length),
    lastKey,
    writeVInt(0),
    writeVInt(remaining),
    writeVInt(0),
  ]).toString('base64');
}

function decodePageState(state: string): { lastKey: Buffer; remaining: number } {
  const buf = Buffer.from(state, 'base64');
  const [keyLength, at] = readVInt(buf, 0);
  if (buf.length < at + keyLength + 2) throw err.invalidRequest(`Invalid page state '${state}'`);
  const lastKey = buf.subarray(at, at + keyLength);
  const [rowMark, afterKey] = readVInt(buf, at + keyLength);
  const [remaining] = readVInt(buf, afterKey + rowMark);
  return { lastKey: Buffer.from(lastKey), remaining };
}

// ---------------------------------------------------------------------------------------------
// Values: equality, order, paths
// ---------------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isDate = (v: unknown): v is { $date: number } =>
  isObject(v) && Object.keys(v).length === 1 && typeof v['$date'] === 'number';
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Equality of JSON values as the Data API decides it: scalars by value, dates by instant, arrays
 * element by element in order, sub-documents field by field (key order is not significant here;
 * the server compares a canonical hash of the sub-document — an assumption, not recorded).
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => same(x, b[i]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && same(a[k], b[k]));
  }
  return false;
}

/** Type rank of the in-memory sort (null/missing, numbers, strings, objects, arrays, booleans, dates). */
function rank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return 2;
  if (isDate(v)) return 6;
  if (isObject(v)) return 3;
  if (Array.isArray(v)) return 4;
  return 5; // boolean
}

function compare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (isDate(a) && isDate(b)) return a.$date - b.$date;
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

function getPath(doc: unknown, path: string): unknown {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else if (isObject(node) && !isDate(node)) node = node[part];
    else return undefined;
  }
  return node;
}

/** The container and last key of `path`, creating objects on the way when `create`. */
function parentOf(
  doc: Doc,
  path: string,
  create: boolean,
): { parent: Record<string, unknown> | unknown[]; key: string } | undefined {
  const parts = path.split('.');
  const key = parts.pop() ?? path;
  let node: Record<string, unknown> | unknown[] = doc;
  for (const part of parts) {
    const next: unknown = Array.isArray(node) ? node[Number(part)] : node[part];
    if (isObject(next) || Array.isArray(next)) {
      node = next;
    } else if (next === undefined && create && !Array.isArray(node)) {
      const fresh: Record<string, unknown> = {};
      node[part] = fresh;
      node = fresh;
    } else if (next === undefined) {
      return undefined;
    } else {
      throw err.updateTarget('$set', path);
    }
  }
  return { parent: node, key };
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const at = parentOf(doc, path, true);
  if (!at) throw err.updateTarget('$set', path);
  if (Array.isArray(at.parent)) at.parent[Number(at.key)] = value;
  else at.parent[at.key] = value;
}

function unsetPath(doc: Doc, path: string): void {
  const at = parentOf(doc, path, false);
  if (!at) return;
  if (Array.isArray(at.parent)) at.parent[Number(at.key)] = null;
  else delete at.parent[at.key];
}

// ---------------------------------------------------------------------------------------------
// Collections and indexing
// ---------------------------------------------------------------------------------------------

interface Indexing {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

interface Stored {
  readonly key: Buffer;
  readonly token: bigint;
  doc: Doc;
}

interface CollectionState {
  readonly options: Record<string, unknown>;
  readonly indexing: Indexing;
  readonly docs: Map<string, Stored>; // by partition key (hex)
}

function parseIndexing(value: unknown): Indexing {
  const rules = (v: unknown) =>
    Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : undefined;
  const indexing = obj(value);
  const allow = rules(indexing['allow']);
  const deny = rules(indexing['deny']);
  return { ...(allow ? { allow } : {}), ...(deny ? { deny } : {}) };
}

const covers = (rule: string, path: string) =>
  rule === '*' || path === rule || path.startsWith(`${rule}.`);

/** Whether the collection indexes `path` (`_id` is not a field of the indexes: see callers). */
function indexed(indexing: Indexing, path: string): boolean {
  if (indexing.allow) return indexing.allow.some((rule) => covers(rule, path));
  if (indexing.deny) return !indexing.deny.some((rule) => covers(rule, path));
  return true;
}

/** Options in a canonical form, so that re-creating with the same settings is recognised (02). */
function canonicalOptions(options: Record<string, unknown>): string {
  const sortKeys = (v: unknown): unknown =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys(v[k])]),
        )
      : Array.isArray(v)
        ? v.map(sortKeys)
        : v;
  const indexing = isObject(options['indexing']) ? options['indexing'] : undefined;
  const normal = {
    ...options,
    indexing: indexing
      ? Object.fromEntries(
          Object.entries(indexing).map(([k, v]) => [
            k,
            Array.isArray(v) ? [...(v as string[])].sort() : v,
          ]),
        )
      : undefined,
  };
  return JSON.stringify(sortKeys(normal));
}

const byToken = (a: Stored, b: Stored) =>
  a.token < b.token ? -1 : a.token > b.token ? 1 : Buffer.compare(a.key, b.key);

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

type Condition =
  | { readonly kind: 'eq'; readonly path: string; readonly value: unknown }
  | { readonly kind: 'in'; readonly path: string; readonly values: readonly unknown[] }
  | { readonly kind: 'exists'; readonly path: string; readonly value: boolean }
  | { readonly kind: 'all'; readonly path: string; readonly values: readonly unknown[] }
  | { readonly kind: 'size'; readonly path: string; readonly value: number }
  | { readonly kind: 'range'; readonly path: string; readonly op: string; readonly value: unknown }
  | { readonly kind: 'not-eq'; readonly path: string; readonly op: string }
  | { readonly kind: 'or'; readonly op: string };

const RANGE = new Set(['$gt', '$gte', '$lt', '$lte']);
const NOT_EQ = new Set(['$ne', '$nin']);

function parseFilter(filter: unknown, out: Condition[] = []): Condition[] {
  if (filter === undefined || filter === null) return out;
  if (!isObject(filter)) throw err.invalidRequest('filter must be an object');
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and') {
      if (!Array.isArray(value)) throw err.invalidRequest('$and needs an array');
      for (const part of value) parseFilter(part, out);
    } else if (key === '$or' || key === '$nor' || key === '$not') {
      // Parsed for their own errors first; the database then refuses the OR (08).
      for (const part of Array.isArray(value) ? value : [value]) parseFilter(part, []);
      out.push({ kind: 'or', op: key });
    } else if (key.startsWith('$')) {
      throw err.filterOperator(key);
    } else if (
      isObject(value) &&
      !isDate(value) &&
      Object.keys(value).some((k) => k.startsWith('$'))
    ) {
      for (const [op, operand] of Object.entries(value)) {
        if (op === '$eq') out.push({ kind: 'eq', path: key, value: operand });
        else if (op === '$in' || op === '$all') {
          if (!Array.isArray(operand)) throw err.invalidRequest(`${op} needs an array`);
          out.push({ kind: op === '$in' ? 'in' : 'all', path: key, values: operand });
        } else if (op === '$exists')
          out.push({ kind: 'exists', path: key, value: operand === true });
        else if (op === '$size') out.push({ kind: 'size', path: key, value: Number(operand) });
        else if (RANGE.has(op)) out.push({ kind: 'range', path: key, op, value: operand });
        else if (NOT_EQ.has(op)) out.push({ kind: 'not-eq', path: key, op });
        else throw err.filterOperator(op);
      }
    } else {
      out.push({ kind: 'eq', path: key, value });
    }
  }
  return out;
}

/**
 * Validates conditions in the server's order: request checks (indexing, `_id` operators) before
 * the database sees a query, then what the database refuses: OR (08, a CQL syntax error on
 * Cassandra 5.0) and non-EQ relations on map entries (05, 06, 08).
 */
function checkFilter(conditions: readonly Condition[], indexing: Indexing): void {
  for (const c of conditions) {
    if (c.kind === 'or' || c.path === '_id') continue;
    if (!indexed(indexing, c.path)) throw err.filterUnindexed(c.path);
  }
  for (const c of conditions) {
    if (c.kind === 'or' || c.path !== '_id') continue;
    if (c.kind === 'range') throw err.idRange(c.op);
    if (c.kind === 'not-eq') throw err.idRange(c.op);
    if (c.kind !== 'eq' && c.kind !== 'in') throw err.idRange(`$${c.kind}`);
  }
  if (conditions.some((c) => c.kind === 'or')) throw err.unsupportedQuery();
  for (const c of conditions) {
    // Presumed for $ne/$nin/$exists:false (a non-EQ relation, like the recorded ranges).
    if (c.kind === 'range' || c.kind === 'not-eq' || (c.kind === 'exists' && !c.value)) {
      throw err.invalidQuery('Only EQ relations are supported on map entries');
    }
  }
}

/** Equality as `array_contains`: the value itself, or an element of an array (08 CQL). */
function equals(docValue: unknown, value: unknown): boolean {
  if (same(docValue, value)) return true;
  return !Array.isArray(value) && Array.isArray(docValue) && docValue.some((x) => same(x, value));
}

function matches(doc: Doc, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => {
    if (c.kind === 'or') return false;
    const v = getPath(doc, c.path);
    switch (c.kind) {
      case 'eq':
        return equals(v, c.value);
      case 'in':
        // Not recorded: on a field the server may build an OR (refused on Cassandra 5.0); the
        // emulator answers it as equality to any listed value.
        return c.values.some((x) => equals(v, x));
      case 'exists':
        return (v !== undefined) === c.value;
      case 'all':
        return Array.isArray(v) && c.values.every((x) => v.some((y) => same(x, y)));
      case 'size':
        return Array.isArray(v) && v.length === c.value;
      case 'range':
      case 'not-eq':
        return false; // refused by checkFilter before any row is read
    }
  });
}

/** The filter's `_id` equality, if any: the row the server reads by key. */
function filterId(conditions: readonly Condition[]): { has: boolean; id?: unknown } {
  const eq = conditions.find((c) => c.kind === 'eq' && c.path === '_id');
  return eq && eq.kind === 'eq' ? { has: true, id: eq.value } : { has: false };
}

// ---------------------------------------------------------------------------------------------
// Updates
// ---------------------------------------------------------------------------------------------

const UPDATE_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$setOnInsert',
  '$min',
  '$max',
  '$mul',
  '$rename',
  '$addToSet',
  '$push',
  '$pop',
  '$currentDate',
]);

function checkUpdate(update: unknown): Record<string, Record<string, unknown>> {
  if (!isObject(update)) throw err.invalidRequest('update must be an object');
  for (const [op, fields] of Object.entries(update)) {
    if (!UPDATE_OPERATORS.has(op)) throw err.updateOperator(op);
    if (!isObject(fields)) throw err.invalidRequest(`${op} needs an object`);
    if (
      op !== '$setOnInsert' &&
      Object.keys(fields).some((p) => p === '_id' || p.startsWith('_id.'))
    )
      throw err.updateId();
  }
  return update as Record<string, Record<string, unknown>>;
}

/**
 * Applies an update in place. Operators apply in the command's order and, within one, paths in
 * alphabetical order: the field order recorded for upserts (05/cus_5f, 06/cus_6).
 */
function applyUpdate(
  doc: Doc,
  update: Record<string, Record<string, unknown>>,
  inserting: boolean,
) {
  for (const [op, fields] of Object.entries(update)) {
    for (const path of Object.keys(fields).sort()) {
      const arg = fields[path];
      const current = getPath(doc, path);
      switch (op) {
        case '$set':
          setPath(doc, path, clone(arg));
          break;
        case '$setOnInsert':
          if (inserting) setPath(doc, path, clone(arg));
          break;
        case '$unset':
          unsetPath(doc, path);
          break;
        case '$inc':
        case '$mul': {
          if (typeof arg !== 'number' || (current !== undefined && typeof current !== 'number'))
            throw err.updateTarget(op, path);
          const base = typeof current === 'number' ? current : 0;
          setPath(doc, path, op === '$inc' ? base + arg : base * arg);
          break;
        }
        case '$min':
        case '$max':
          if (
            current === undefined ||
            (op === '$min' ? compare(arg, current) < 0 : compare(arg, current) > 0)
          )
            setPath(doc, path, clone(arg));
          break;
        case '$rename':
          if (current !== undefined && typeof arg === 'string') {
            unsetPath(doc, path);
            setPath(doc, arg, current);
          }
          break;
        case '$currentDate':
          setPath(doc, path, { $date: Date.now() });
          break;
        case '$pop': {
          if (current === undefined) break;
          if (!Array.isArray(current)) throw err.updateTarget(op, path);
          if (Number(arg) < 0) current.shift();
          else current.pop();
          break;
        }
        case '$push':
        case '$addToSet': {
          if (current !== undefined && !Array.isArray(current)) throw err.updateTarget(op, path);
          const items =
            isObject(arg) && '$each' in arg
              ? Array.isArray(arg['$each'])
                ? arg['$each']
                : [arg['$each']]
              : [arg];
          const array = (current ?? []) as unknown[];
          for (const item of items) {
            if (op === '$push' || !array.some((x) => same(x, item))) array.push(clone(item));
          }
          if (current === undefined) setPath(doc, path, array);
          break;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Projection and sort
// ---------------------------------------------------------------------------------------------

function project(doc: Doc, projection: unknown): Doc {
  if (!isObject(projection) || Object.keys(projection).length === 0) return clone(doc);
  const entries = Object.entries(projection).filter(([k]) => k !== '_id');
  const wantsId = projection['_id'] !== false && projection['_id'] !== 0;
  const including = entries.some(([, v]) => v === true || v === 1);
  if (entries.some(([k, v]) => k === '*' && (v === true || v === 1))) return clone(doc);
  if (including) {
    const out: Doc = wantsId && '_id' in doc ? { _id: doc['_id'] } : {};
    for (const [path, v] of entries) {
      if (v !== true && v !== 1) continue;
      const value = getPath(doc, path);
      if (value !== undefined) setPath(out, path, clone(value));
    }
    return out;
  }
  const out = clone(doc);
  for (const [path] of entries) unsetPath(out, path);
  if (!wantsId) delete out['_id'];
  return out;
}

type SortSpec = readonly (readonly [path: string, direction: number])[];

function parseSort(sort: unknown, indexing: Indexing): SortSpec | undefined {
  if (!isObject(sort) || Object.keys(sort).length === 0) return undefined;
  const spec: [string, number][] = [];
  for (const [path, direction] of Object.entries(sort)) {
    if (path === '$vector' || path === '$vectorize' || path === '$hybrid' || path === '$lexical')
      throw err.emulatorUnsupported(`sort on ${path}`);
    // 07: `_id` is not in the indexes, so it cannot be sorted on, even with deny ["*"].
    if (path === '_id' || !indexed(indexing, path)) throw err.sortUnindexed(path);
    if (direction !== 1 && direction !== -1)
      throw err.invalidRequest(`sort direction must be 1 or -1, not ${JSON.stringify(direction)}`);
    spec.push([path, direction]);
  }
  return spec;
}

function sortDocs(rows: Stored[], spec: SortSpec): Stored[] {
  // Stable: ties keep the token order the server reads rows in.
  return [...rows].sort((a, b) => {
    for (const [path, direction] of spec) {
      const c = compare(getPath(a.doc, path), getPath(b.doc, path));
      if (c !== 0) return c * direction;
    }
    return 0;
  });
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

const PATH = /^(?:\/api\/json)?\/v1(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/;

const DB_COMMANDS = new Set(['createKeyspace', 'findKeyspaces', 'dropKeyspace']);
const DOCUMENT_COMMANDS = new Set([
  'insertOne',
  'insertMany',
  'findOne',
  'find',
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'countDocuments',
  'estimatedDocumentCount',
]);
/** Collection commands the server knows (09's message lists them) that are not emulated. */
const UNEMULATED_COMMANDS = new Set([
  'findAndRerank',
  'createIndex',
  'createTextIndex',
  'createVectorIndex',
  'listIndexes',
  'alterTable',
]);

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
const obj = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/**
 * Creates an emulator of a self-managed Data API 1.0.51 on Cassandra 5.0 (see the file's header).
 * Each emulator is its own empty database.
 */
export function createDataApiEmulator(options: DataApiEmulatorOptions = {}): DataApiEmulator {
  let maxCollections = options.maxCollections ?? 5;
  const pageSize = options.pageSize ?? 50;
  const maxSortCount = options.maxSortCount ?? 10_000;
  const maxCountLimit = options.maxCountLimit ?? 1_000;
  const maxManyCount = options.maxManyCount ?? 20;
  const keyspaces = new Map<string, Map<string, CollectionState>>();
  const commands: ServedCommand[] = [];
  const faults: { match: (c: ServedCommand) => boolean; reply: FaultReply }[] = [];

  const countCollections = () => [...keyspaces.values()].reduce((n, ks) => n + ks.size, 0);

  function keyspaceOf(name: string): Map<string, CollectionState> {
    const ks = keyspaces.get(name);
    if (!ks) throw err.keyspaceMissing(name);
    return ks;
  }

  function collectionOf(ks: string, name: string): CollectionState {
    const coll = keyspaceOf(ks).get(name);
    if (!coll) throw err.collectionMissing(name);
    return coll;
  }

  // --- database and keyspace commands ---

  function dbCommand(name: string, payload: Record<string, unknown>): DataApiResponse {
    switch (name) {
      case 'createKeyspace': {
        // 01: ok also when the keyspace exists.
        const ks = String(payload['name']);
        if (!keyspaces.has(ks)) keyspaces.set(ks, new Map());
        return { status: { ok: 1 } };
      }
      case 'findKeyspaces':
        return { status: { keyspaces: [...keyspaces.keys()].sort() } };
      case 'dropKeyspace':
        keyspaces.delete(String(payload['name']));
        return { status: { ok: 1 } };
      default:
        throw err.commandUnknown(name);
    }
  }

  function keyspaceCommand(ksName: string, name: string, payload: Record<string, unknown>) {
    const ks = keyspaceOf(ksName);
    switch (name) {
      case 'createCollection': {
        const collName = String(payload['name']);
        const opts = obj(payload['options']);
        const existing = ks.get(collName);
        // 02: an existing collection is checked before the limit.
        if (existing) {
          if (canonicalOptions(existing.options) !== canonicalOptions(opts))
            throw err.differentSettings(collName);
          return { status: { ok: 1 } };
        }
        const has = countCollections();
        if (has >= maxCollections) throw err.tooManyCollections(collName, maxCollections, has);
        if (opts['vector'] !== undefined || opts['lexical'] !== undefined)
          throw err.emulatorUnsupported('createCollection with vector or lexical options');
        ks.set(collName, {
          options: clone(opts),
          indexing: parseIndexing(opts['indexing']),
          docs: new Map(),
        });
        return { status: { ok: 1 } };
      }
      case 'findCollections': {
        const names = [...ks.keys()].sort(); // 01: alphabetical, as the schema lists tables
        if (obj(payload['options'])['explain'] === true) {
          return {
            status: {
              collections: names.map((n) => ({
                name: n,
                options: clone(ks.get(n)?.options ?? {}),
              })),
            },
          };
        }
        return { status: { collections: names } };
      }
      case 'deleteCollection':
        ks.delete(String(payload['name']));
        return { status: { ok: 1 } };
      default:
        throw err.commandUnknown(name);
    }
  }

  // --- document commands ---

  function rowsInTokenOrder(coll: CollectionState): Stored[] {
    return [...coll.docs.values()].sort(byToken);
  }

  function store(coll: CollectionState, doc: Doc): Stored {
    const key = partitionKey(doc['_id']);
    const row = { key, token: murmur3Token(key), doc };
    coll.docs.set(key.toString('hex'), row);
    return row;
  }

  function rowById(coll: CollectionState, id: unknown): Stored | undefined {
    return coll.docs.get(partitionKey(id).toString('hex'));
  }

  /** Candidate rows of a filter: by key when it has `_id` equality or `$in`, else all. */
  function candidates(coll: CollectionState, conditions: readonly Condition[]): Stored[] {
    const idIn = conditions.find((c) => c.kind === 'in' && c.path === '_id');
    const { has, id } = filterId(conditions);
    let rows: Stored[];
    if (has) rows = [rowById(coll, id)].filter((r): r is Stored => r !== undefined);
    else if (idIn && idIn.kind === 'in')
      rows = idIn.values
        .map((v) => rowById(coll, v))
        .filter((r): r is Stored => r !== undefined)
        .sort(byToken);
    else rows = rowsInTokenOrder(coll);
    return rows.filter((r) => matches(r.doc, conditions));
  }

  /** The rows a filter and sort select, for the single-document commands. */
  function selectOne(coll: CollectionState, payload: Record<string, unknown>): Stored | undefined {
    const conditions = parseFilter(payload['filter']);
    const spec = parseSort(payload['sort'], coll.indexing);
    checkFilter(conditions, coll.indexing);
    const rows = candidates(coll, conditions);
    if (!spec) return rows[0];
    if (rows.length > maxSortCount) throw err.datasetTooBig(maxSortCount);
    return sortDocs(rows, spec)[0];
  }

  function insert(coll: CollectionState, document: unknown): unknown {
    if (!isObject(document)) throw err.invalidRequest('document must be an object');
    const doc = clone(document);
    if (!('_id' in doc)) doc['_id'] = randomUUID(); // the Data API's default id type: uuid text
    if (rowById(coll, doc['_id'])) throw err.documentExists(doc['_id']);
    // The stored document starts with `_id`, as the server returns it.
    const { _id: id, ...rest } = doc;
    store(coll, { _id: id, ...rest });
    return id;
  }

  function find(coll: CollectionState, payload: Record<string, unknown>): DataApiResponse {
    const opts = obj(payload['options']);
    const limit = typeof opts['limit'] === 'number' ? opts['limit'] : undefined;
    const hasSort = isObject(payload['sort']) && Object.keys(payload['sort']).length > 0;
    // The server's FindCommand validation (stargate/data-api): skip needs a sort.
    if (opts['skip'] !== undefined && opts['skip'] !== null && !hasSort)
      throw err.fieldInvalid(
        'command.options.skip',
        'skip options should be used with sort clause',
      );
    if (num(opts['skip'], 0) < 0 || (limit !== undefined && limit < 0))
      throw err.fieldInvalid(
        'command.options',
        'skip and limit should be greater than or equal to 0',
      );
    const conditions = parseFilter(payload['filter']);
    const spec = parseSort(payload['sort'], coll.indexing);
    checkFilter(conditions, coll.indexing);
    const rows = candidates(coll, conditions);
    if (spec) {
      // 07: sorted in memory over at most maxSortCount rows; one page of at most pageSize
      // documents after `skip`, `limit` caps it, and never a page state.
      if (rows.length > maxSortCount) throw err.datasetTooBig(maxSortCount);
      const skip = num(opts['skip'], 0);
      const take = Math.min(limit ?? Infinity, pageSize);
      const page = sortDocs(rows, spec).slice(skip, skip + take);
      return {
        data: {
          documents: page.map((r) => project(r.doc, payload['projection'])),
          nextPageState: null,
        },
      };
    }
    // 07: unsorted reads come in token order, pageSize at a time; the page state holds the last
    // partition key and what is left of the limit.
    let remaining = limit ?? MAX_INT;
    let from = rows;
    if (typeof opts['pageState'] === 'string' && opts['pageState'] !== '') {
      const state = decodePageState(opts['pageState']);
      remaining = state.remaining;
      const last = { key: state.lastKey, token: murmur3Token(state.lastKey), doc: {} };
      from = rows.filter((r) => byToken(r, last) > 0);
    }
    const take = Math.min(pageSize, remaining);
    const page = from.slice(0, take);
    const lastRow = page[page.length - 1];
    const more = from.length > page.length && remaining - page.length > 0;
    return {
      data: {
        documents: page.map((r) => project(r.doc, payload['projection'])),
        nextPageState:
          more && lastRow ? encodePageState(lastRow.key, remaining - page.length) : null,
      },
    };
  }

  /**
   * updateOne / findOneAndUpdate. An upsert that misses builds the document from the filter's
   * equality fields, then the update (05/cus_5f, 06/cus_6); if the filter's `_id` exists but the
   * rest of the filter missed, the server's conditional insert fails and it answers
   * matched 0 / modified 0 without error (05/"stale save").
   */
  function updateOne(coll: CollectionState, payload: Record<string, unknown>) {
    const opts = obj(payload['options']);
    const update = checkUpdate(payload['update']);
    const row = selectOne(coll, payload);
    if (row) {
      const before = clone(row.doc);
      const after = clone(row.doc);
      applyUpdate(after, update, false);
      const modified = JSON.stringify(before) !== JSON.stringify(after);
      row.doc = after;
      return { before, after, status: { matchedCount: 1, modifiedCount: modified ? 1 : 0 } };
    }
    const missed = { before: null, after: null, status: { matchedCount: 0, modifiedCount: 0 } };
    if (opts['upsert'] !== true) return missed;
    const conditions = parseFilter(payload['filter']);
    const { has, id } = filterId(conditions);
    if (has && rowById(coll, id)) return missed;
    const doc: Doc = {};
    for (const c of conditions) {
      if (c.kind === 'eq' && getPath(doc, c.path) === undefined)
        setPath(doc, c.path, clone(c.value));
    }
    if (!('_id' in doc)) doc['_id'] = randomUUID();
    applyUpdate(doc, update, true);
    const { _id: newId, ...rest } = doc;
    const stored = store(coll, { _id: newId, ...rest });
    return {
      before: null,
      after: clone(stored.doc),
      status: { matchedCount: 0, upsertedId: newId, modifiedCount: 0 },
    };
  }

  function replaceOne(coll: CollectionState, payload: Record<string, unknown>) {
    const opts = obj(payload['options']);
    const replacement = obj(payload['replacement']);
    const row = selectOne(coll, payload);
    if (row) {
      if ('_id' in replacement && !same(replacement['_id'], row.doc['_id'])) throw err.updateId();
      const before = clone(row.doc);
      const rest = clone(replacement);
      delete rest['_id'];
      const after: Doc = { _id: before['_id'], ...rest };
      row.doc = after;
      const modified = JSON.stringify(before) !== JSON.stringify(after);
      return {
        before,
        after: clone(after),
        status: { matchedCount: 1, modifiedCount: modified ? 1 : 0 },
      };
    }
    const missed = { before: null, after: null, status: { matchedCount: 0, modifiedCount: 0 } };
    if (opts['upsert'] !== true) return missed;
    const { has, id } = filterId(parseFilter(payload['filter']));
    if (has && rowById(coll, id)) return missed;
    const doc = clone(replacement);
    const newId = doc['_id'] ?? (has ? id : randomUUID());
    delete doc['_id'];
    const stored = store(coll, { _id: newId, ...doc });
    return {
      before: null,
      after: clone(stored.doc),
      status: { matchedCount: 0, upsertedId: newId, modifiedCount: 0 },
    };
  }

  function documentCommand(
    coll: CollectionState,
    name: string,
    payload: Record<string, unknown>,
  ): DataApiResponse {
    const opts = obj(payload['options']);
    switch (name) {
      case 'insertOne':
        try {
          return { status: { insertedIds: [insert(coll, payload['document'])] } };
        } catch (e) {
          // 03: a duplicate answers an empty `insertedIds` beside the error.
          if (e instanceof ApiError && e.errorCode === 'DOCUMENT_ALREADY_EXISTS')
            return { status: { insertedIds: [] }, errors: [e.body()] };
          throw e;
        }
      case 'insertMany': {
        // 04: unordered inserts every new document and reports each duplicate; ordered stops
        // at the first failure. Either way `insertedIds` lists what was inserted.
        const documents = Array.isArray(payload['documents']) ? payload['documents'] : [];
        const insertedIds: unknown[] = [];
        const errors: DataApiErrorBody[] = [];
        // astra-db-ts asks for `returnDocumentResponses`: one `{_id, status}` per document,
        // OK / ERROR (with the index of its error) / SKIPPED (after an ordered failure).
        const responses: Record<string, unknown>[] = [];
        let stopped = false;
        for (const document of documents) {
          const id = isObject(document) ? document['_id'] : undefined;
          if (stopped) {
            responses.push({ _id: id, status: 'SKIPPED' });
            continue;
          }
          try {
            const inserted = insert(coll, document);
            insertedIds.push(inserted);
            responses.push({ _id: inserted, status: 'OK' });
          } catch (e) {
            if (!(e instanceof ApiError)) throw e;
            responses.push({ _id: id, status: 'ERROR', errorsIdx: errors.length });
            errors.push(e.body());
            stopped = opts['ordered'] === true;
          }
        }
        const status =
          opts['returnDocumentResponses'] === true
            ? { documentResponses: responses }
            : { insertedIds };
        return errors.length ? { status, errors } : { status };
      }
      case 'findOne': {
        const row = selectOne(coll, payload);
        return { data: { document: row ? project(row.doc, payload['projection']) : null } };
      }
      case 'find':
        return find(coll, payload);
      case 'updateOne':
        return { status: updateOne(coll, payload).status };
      case 'findOneAndUpdate':
      case 'findOneAndReplace': {
        const result =
          name === 'findOneAndUpdate' ? updateOne(coll, payload) : replaceOne(coll, payload);
        // 05/06: `data.document` is the document before (default) or after, null when none.
        const document = opts['returnDocument'] === 'after' ? result.after : result.before;
        return {
          data: { document: document ? project(document, payload['projection']) : null },
          status: result.status,
        };
      }
      case 'replaceOne':
        return { status: replaceOne(coll, payload).status };
      case 'updateMany': {
        const update = checkUpdate(payload['update']);
        const conditions = parseFilter(payload['filter']);
        checkFilter(conditions, coll.indexing);
        let rows = candidates(coll, conditions);
        if (typeof opts['pageState'] === 'string' && opts['pageState'] !== '') {
          const state = decodePageState(opts['pageState']);
          const last = { key: state.lastKey, token: murmur3Token(state.lastKey), doc: {} };
          rows = rows.filter((r) => byToken(r, last) > 0);
        }
        const batch = rows.slice(0, maxManyCount);
        let modifiedCount = 0;
        for (const row of batch) {
          const after = clone(row.doc);
          applyUpdate(after, update, false);
          if (JSON.stringify(after) !== JSON.stringify(row.doc)) modifiedCount++;
          row.doc = after;
        }
        const lastRow = batch[batch.length - 1];
        if (rows.length > batch.length && lastRow) {
          return {
            status: {
              matchedCount: batch.length,
              modifiedCount,
              moreData: true,
              nextPageState: encodePageState(lastRow.key, MAX_INT),
            },
          };
        }
        if (batch.length === 0 && opts['upsert'] === true) {
          const result = updateOne(coll, { ...payload, options: { upsert: true } });
          return { status: result.status };
        }
        return { status: { matchedCount: batch.length, modifiedCount } };
      }
      case 'deleteOne':
      case 'findOneAndDelete': {
        const row = selectOne(coll, payload);
        if (row) coll.docs.delete(row.key.toString('hex'));
        const status = { deletedCount: row ? 1 : 0 };
        return name === 'deleteOne'
          ? { status }
          : { data: { document: row ? project(row.doc, payload['projection']) : null }, status };
      }
      case 'deleteMany': {
        const conditions = parseFilter(payload['filter']);
        checkFilter(conditions, coll.indexing);
        if (conditions.length === 0) {
          // An empty filter truncates the table; the server cannot say how many it deleted.
          coll.docs.clear();
          return { status: { deletedCount: -1 } };
        }
        const rows = candidates(coll, conditions);
        const batch = rows.slice(0, maxManyCount);
        for (const row of batch) coll.docs.delete(row.key.toString('hex'));
        return rows.length > batch.length
          ? { status: { deletedCount: batch.length, moreData: true } }
          : { status: { deletedCount: batch.length } };
      }
      case 'countDocuments': {
        // 10; beyond max-count-limit the server stops counting and says so (astra-db-ts then
        // throws TooManyDocumentsToCountError).
        const conditions = parseFilter(payload['filter']);
        checkFilter(conditions, coll.indexing);
        const count = candidates(coll, conditions).length;
        return count > maxCountLimit
          ? { status: { count: maxCountLimit, moreData: true } }
          : { status: { count } };
      }
      case 'estimatedDocumentCount':
        return { status: { count: coll.docs.size } };
      default:
        throw err.commandUnknown(name);
    }
  }

  function execute(path: string, body: unknown): DataApiResponse {
    const [name = '', rawPayload] = Object.entries(obj(body))[0] ?? [];
    const payload = obj(rawPayload);
    commands.push({ path, command: name, payload: clone(payload) });
    try {
      const match = PATH.exec(path);
      if (!match) throw err.invalidRequest(`no Data API resource at ${path}`);
      const [, ks, coll] = match;
      if (ks === undefined) return dbCommand(name, payload);
      if (coll === undefined) {
        // astra-db-ts may also send keyspace admin commands at keyspace level.
        if (DB_COMMANDS.has(name)) return dbCommand(name, payload);
        return keyspaceCommand(ks, name, payload);
      }
      // 09: the command name is checked before the collection is looked up.
      if (UNEMULATED_COMMANDS.has(name)) throw err.emulatorUnsupported(`the command ${name}`);
      if (!DOCUMENT_COMMANDS.has(name)) throw err.commandUnknown(name);
      return documentCommand(collectionOf(ks, coll), name, payload);
    } catch (e) {
      if (e instanceof ApiError) return { errors: [e.body()] };
      throw e;
    }
  }

  const reply = (info: FetcherRequestInfo, status: number, body: string): FetcherResponseInfo => ({
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    headers: { 'content-type': 'application/json' },
    httpVersion: 1,
    url: info.url,
    body,
  });

  return {
    commands,
    execute,
    setMaxCollections(n) {
      maxCollections = n;
    },
    collections(keyspace) {
      return [...(keyspaces.get(keyspace)?.keys() ?? [])].sort();
    },
    documents(keyspace, collection) {
      const coll = keyspaces.get(keyspace)?.get(collection);
      return coll ? rowsInTokenOrder(coll).map((r) => clone(r.doc)) : [];
    },
    failNext(match, faultReply) {
      faults.push({ match, reply: faultReply });
    },
    fetch(info) {
      const path = new URL(info.url).pathname;
      let body: unknown;
      try {
        body = info.body === undefined ? {} : JSON.parse(info.body);
      } catch {
        return Promise.resolve(
          reply(
            info,
            200,
            JSON.stringify({ errors: [err.invalidRequest('malformed JSON').body()] }),
          ),
        );
      }
      const [name = '', payload] = Object.entries(obj(body))[0] ?? [];
      const served = { path, command: name, payload: obj(payload) };
      const index = faults.findIndex((f) => f.match(served));
      const fault = index >= 0 ? faults.splice(index, 1)[0] : undefined;
      if (!fault) return Promise.resolve(reply(info, 200, JSON.stringify(execute(path, body))));
      if (fault.reply.when === 'after') execute(path, body);
      else commands.push({ ...served, payload: clone(served.payload) });
      const f = fault.reply;
      if ('throws' in f) return Promise.reject(f.throws);
      if ('httpStatus' in f) return Promise.resolve(reply(info, f.httpStatus, f.body ?? ''));
      const error = new ApiError(
        f.family ?? 'SERVER',
        f.scope ?? 'DATABASE',
        f.errorCode,
        f.title ?? f.errorCode,
        f.message ?? `${f.errorCode} (injected by data-api-emulator)`,
      );
      return Promise.resolve(reply(info, 200, JSON.stringify({ errors: [error.body()] })));
    },
  };
}
