import type { Payload } from '@temporalio/common';

const MARK = '__undecodablePayload';

/** What a handler receives in place of an argument whose payload could not be decoded. */
export interface Undecodable {
  readonly [MARK]: { readonly encoding: string; readonly reason: string };
}

/** The marker for `payload`, naming its encoding and why decoding failed (for logs and tests). */
export function undecodable(payload: Payload, error: unknown): Undecodable {
  const raw = payload.metadata?.['encoding'];
  let encoding = '(none)';
  if (raw instanceof Uint8Array) {
    // The encoding is metadata bytes; keep it printable and short whatever it holds.
    encoding = Array.from(raw.subarray(0, 64), (b) =>
      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?',
    ).join('');
  }
  const reason = error instanceof Error ? error.message.slice(0, 200) : 'undecodable';
  return { [MARK]: { encoding, reason } };
}

/** Whether `value` stands for a payload the converter could not decode. */
export function isUndecodable(value: unknown): value is Undecodable {
  return typeof value === 'object' && value !== null && MARK in value;
}
