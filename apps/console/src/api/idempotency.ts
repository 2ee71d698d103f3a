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
    /**
     * After a failure: a definitive refusal (4xx) ends the change, so trying again is a new one
     * (the state may have moved); a failure whose outcome is unknown (no answer, 5xx, a 503
     * "may still be applied") keeps the key, so the retry is applied at most once.
     */
    failed(error: unknown): void {
      const status = (error as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) last = null;
    },
  };
}
