import {
  CURRENCY_CODES,
  currencyExponent,
  formatMoney,
  isCurrency,
  ISO_4217_EXPONENTS,
} from './index';

describe('ISO 4217 table', () => {
  it('gives the exponents ISO 4217 gives, where runtime ICU data disagrees', () => {
    // Node 20.20's Intl reports 0 for HUF, IDR, COP and IQD.
    expect(currencyExponent('HUF')).toBe(2);
    expect(currencyExponent('IDR')).toBe(2);
    expect(currencyExponent('COP')).toBe(2);
    expect(currencyExponent('IQD')).toBe(3);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('BHD')).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
  });

  it('knows no code outside the table, prototype members included', () => {
    for (const code of [
      'XYZ',
      'usd',
      'US',
      'USDD',
      '',
      'XAU',
      'toString',
      '__proto__',
      'constructor',
    ]) {
      expect(currencyExponent(code)).toBeUndefined();
      expect(isCurrency(code)).toBe(false);
    }
    expect(isCurrency(42)).toBe(false);
  });

  it('holds only three-capital codes with an exponent of 0, 2, 3 or 4', () => {
    const entries = Object.entries(ISO_4217_EXPONENTS);
    expect(entries.length).toBeGreaterThan(150);
    for (const [code, exponent] of entries) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(exponent);
    }
  });

  it('lists exactly the codes of the table, sorted, for enums', () => {
    expect(CURRENCY_CODES).toEqual(Object.keys(ISO_4217_EXPONENTS).sort());
    expect(CURRENCY_CODES.every((code) => isCurrency(code))).toBe(true);
    expect(Object.isFrozen(CURRENCY_CODES)).toBe(true);
  });
});

describe('formatMoney', () => {
  it('prints exactly the minor digits of the currency, from the integer digits', () => {
    expect(formatMoney({ amountMinor: 1999, currency: 'USD' })).toBe('19.99 USD');
    expect(formatMoney({ amountMinor: 5, currency: 'USD' })).toBe('0.05 USD');
    expect(formatMoney({ amountMinor: 1500, currency: 'BHD' })).toBe('1.500 BHD');
    expect(formatMoney({ amountMinor: 1000, currency: 'JPY' })).toBe('1000 JPY');
    expect(formatMoney({ amountMinor: 9007199254740991, currency: 'USD' })).toBe(
      '90071992547409.91 USD',
    );
    expect(formatMoney({ amountMinor: -250, currency: 'EUR' })).toBe('-2.50 EUR');
  });
});
