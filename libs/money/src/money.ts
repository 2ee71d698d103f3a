import { currencyExponent } from './currencies';

/**
 * An amount in integer minor units (cents for USD, yen for JPY, fils for BHD) and its ISO 4217
 * currency: never a float, so no rounding ever loses a cent.
 */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/**
 * The amount as a person reads it, with exactly the currency's minor digits, computed on the
 * integer digits (no float division): `{ amountMinor: 1999, currency: 'USD' }` → `19.99 USD`,
 * `{ amountMinor: 1500, currency: 'BHD' }` → `1.500 BHD`, `{ 1000, 'JPY' }` → `1000 JPY`.
 * An unknown currency is shown with two digits.
 */
export function formatMoney(money: Money): string {
  const exponent = currencyExponent(money.currency) ?? 2;
  const negative = money.amountMinor < 0;
  const digits = Math.abs(Math.trunc(money.amountMinor))
    .toString()
    .padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction} ${money.currency}`;
}
