/**
 * Keys for `Idempotency-Key`: random, from the Web Crypto API. `crypto.randomUUID` exists only
 * in secure contexts (https, localhost); `getRandomValues` everywhere, so the console works when
 * served over plain http on a LAN address too.
 */
export function randomKey(prefix = ''): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One key per intended change: the same values sent again (a retry after a timeout or a 503) get
 * the key of the first attempt, so the API applies them once; other values get a new key.
 */
export function idempotencyKeys() {
  let last: { fingerprint: string; key: string } | null = null;
  return {
    keyFor(values: unknown): string {
      const fingerprint = JSON.stringify(values);
      if (last?.fingerprint !== fingerprint) last = { fingerprint, key: randomKey() };
      return last.key;
    },
    /** After a success: the next submission is a new change. */
    reset(): void {
      last = null;
    },
  };
}
