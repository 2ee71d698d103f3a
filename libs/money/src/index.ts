export { CURRENCY_CODES, ISO_4217_EXPONENTS, currencyExponent, isCurrency } from './currencies';
export { formatMoney } from './money';
export type { Money } from './money';
