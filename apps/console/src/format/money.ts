/**
 * Money as the API represents it: integer minor units and an ISO 4217 code. The number of minor
 * digits comes from the static table of @invincible/money (the one the API and the workflows
 * use), never from the browser's ICU data, which differs between runtimes (HUF, IDR, COP, IQD…):
 * `Intl.NumberFormat` only lays the exact decimal out for the viewer's locale.
 */
import { CURRENCY_CODES, currencyExponent } from '@invincible/money';

export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/** Every currency the API accepts, sorted. */
export const CURRENCIES: readonly string[] = CURRENCY_CODES;

/** The minor digits of `currency` (2 for a code the table does not know, as the API shows it). */
export function minorDigits(currency: string): number {
  return currencyExponent(currency) ?? 2;
}

/** `1999, 2` → `"19.99"`, on the integer's digits: no float ever rounds a cent. */
function decimalText(amountMinor: number, digits: number): string {
  const negative = amountMinor < 0;
  const text = Math.abs(Math.trunc(amountMinor))
    .toString()
    .padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * `{ amountMinor: 1999, currency: 'USD' }` → `$19.99` (en-US), `19,99 $US` (fr-FR); `1500 BHD`
 * → `BHD 1.500`. The amount is handed to Intl as a decimal string, which it formats exactly.
 */
export function formatMoney(money: Money, locale?: string): string {
  const digits = minorDigits(money.currency);
  const decimal = decimalText(money.amountMinor, digits);
  try {
    const format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: money.currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    // A decimal string is formatted exactly (Intl.NumberFormat v3); the cast is for older typings.
    return format.format(decimal as unknown as number);
  } catch {
    return `${decimal} ${money.currency}`;
  }
}

/** Why `text` is not an amount of `currency`, or its minor units. */
export type ParsedAmount =
  | { readonly ok: true; readonly amountMinor: number }
  | { readonly ok: false; readonly error: string };

/**
 * What a person types (`12.5`, `12.50`, `1,250.00`, `1250`) → minor units of `currency`, on the
 * digits (no float): `12.5 USD` → 1250, `1000 JPY` → 1000. More decimals than the currency has,
 * zero, negative or not a number is refused with a sentence that says why.
 */
export function parseAmount(text: string, currency: string): ParsedAmount {
  const digits = minorDigits(currency);
  const cleaned = text.trim().replace(/[\s,_]/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return { ok: false, error: 'Enter an amount such as 12.50' };
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return {
      ok: false,
      error:
        digits === 0
          ? `${currency} has no minor units: enter a whole amount`
          : `${currency} has ${digits} decimal places at most`,
    };
  }
  const minor = BigInt(`${match[1] ?? '0'}${fraction.padEnd(digits, '0')}`);
  if (minor <= 0n) return { ok: false, error: 'Enter an amount above zero' };
  if (minor > BigInt(Number.MAX_SAFE_INTEGER))
    return { ok: false, error: 'That amount is too large' };
  return { ok: true, amountMinor: Number(minor) };
}

/** The amount as it would be typed back into a form: `{ 1250, USD }` → `12.50`. */
export function amountInput(money: Money): string {
  return decimalText(money.amountMinor, minorDigits(money.currency));
}
