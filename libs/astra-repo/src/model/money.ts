/**
 * An amount in integer minor units (cents for USD, yen for JPY) and its ISO 4217 currency:
 * never a float, so no rounding ever loses a cent.
 */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}
