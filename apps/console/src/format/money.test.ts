import { amountInput, formatMoney as format, minorDigits, parseAmount, type Money } from './money';

/** ICU separates with no-break spaces (U+00A0, U+202F), which vary between versions. */
const formatMoney = (money: Money, locale: string) => format(money, locale).replace(/\s/g, ' ');

describe('formatMoney: minor units with the ISO 4217 digits of @invincible/money', () => {
  it('formats exactly, in the locale asked for', () => {
    expect(formatMoney({ amountMinor: 1999, currency: 'USD' }, 'en-US')).toBe('$19.99');
    expect(formatMoney({ amountMinor: 1000, currency: 'JPY' }, 'en-US')).toBe('¥1,000');
    expect(formatMoney({ amountMinor: 1500, currency: 'BHD' }, 'en-US')).toBe('BHD 1.500');
    expect(formatMoney({ amountMinor: 123456789, currency: 'EUR' }, 'de-DE')).toBe(
      '1.234.567,89 €',
    );
    expect(formatMoney({ amountMinor: 5, currency: 'USD' }, 'en-US')).toBe('$0.05');
  });

  it('takes the digits from the table, not from the runtime’s ICU (HUF, IQD)', () => {
    expect(minorDigits('HUF')).toBe(2);
    expect(minorDigits('IQD')).toBe(3);
    expect(formatMoney({ amountMinor: 150050, currency: 'HUF' }, 'en-US')).toMatch(/1,500\.50/);
    expect(formatMoney({ amountMinor: 1234, currency: 'IQD' }, 'en-US')).toMatch(/1\.234/);
  });

  it('does not lose a cent on amounts a float cannot hold as decimals', () => {
    expect(formatMoney({ amountMinor: Number.MAX_SAFE_INTEGER, currency: 'USD' }, 'en-US')).toBe(
      '$90,071,992,547,409.91',
    );
  });
});

describe('parseAmount: what a person types → minor units', () => {
  it('reads decimals on their digits', () => {
    expect(parseAmount('12.5', 'USD')).toEqual({ ok: true, amountMinor: 1250 });
    expect(parseAmount(' 1,250.00 ', 'USD')).toEqual({ ok: true, amountMinor: 125000 });
    expect(parseAmount('0.1', 'USD')).toEqual({ ok: true, amountMinor: 10 });
    expect(parseAmount('1000', 'JPY')).toEqual({ ok: true, amountMinor: 1000 });
    expect(parseAmount('1.5', 'BHD')).toEqual({ ok: true, amountMinor: 1500 });
  });

  it('says why it refuses', () => {
    expect(parseAmount('12.345', 'USD')).toEqual({
      ok: false,
      error: 'USD has 2 decimal places at most',
    });
    expect(parseAmount('10.5', 'JPY')).toEqual({
      ok: false,
      error: 'JPY has no minor units: enter a whole amount',
    });
    expect(parseAmount('0', 'USD')).toEqual({ ok: false, error: 'Enter an amount above zero' });
    expect(parseAmount('-3', 'USD')).toEqual({ ok: false, error: 'Enter an amount such as 12.50' });
    expect(parseAmount('ten', 'USD')).toEqual({
      ok: false,
      error: 'Enter an amount such as 12.50',
    });
    expect(parseAmount('99999999999999999', 'USD')).toEqual({
      ok: false,
      error: 'That amount is too large',
    });
  });

  it('round-trips with amountInput', () => {
    for (const money of [
      { amountMinor: 1250, currency: 'USD' },
      { amountMinor: 7, currency: 'BHD' },
      { amountMinor: 300, currency: 'JPY' },
    ]) {
      expect(parseAmount(amountInput(money), money.currency)).toEqual({
        ok: true,
        amountMinor: money.amountMinor,
      });
    }
  });
});
