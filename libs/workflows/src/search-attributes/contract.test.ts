import type { SubscriptionInput } from '../billing/contract';
import {
  initialSubscriptionSearchAttributes,
  subscriptionSearchAttributes,
} from '../billing/search-attributes';
import {
  CUSTOMER_ID_SEARCH_ATTRIBUTE,
  loyaltySearchAttributes,
  NEXT_CHARGE_AT_SEARCH_ATTRIBUTE,
  SEARCH_ATTRIBUTE_KEYS,
  SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE,
} from './contract';

const input: SubscriptionInput = {
  subscriptionId: 'acme~sub_1',
  customerId: 'acme~cus_ada',
  customerEmail: 'ada@example.com',
  paymentMethod: 'pm_card_visa',
  price: { amountMinor: 1999, currency: 'USD' },
  interval: { unit: 'month', count: 1 },
  startAt: '2026-01-31T10:00:00.000Z',
  timeZone: 'Europe/Paris',
};

describe('search attributes', () => {
  it('are the three a namespace must register, with the types queries rely on', () => {
    expect(SEARCH_ATTRIBUTE_KEYS.map(({ name, type }) => `${name}:${type}`)).toEqual([
      'CustomerId:KEYWORD',
      'SubscriptionStatus:KEYWORD',
      'NextChargeAt:DATETIME',
    ]);
  });

  it('start a subscription with its initial state: active and due at startAt, or trialing', () => {
    expect(initialSubscriptionSearchAttributes(input)).toEqual([
      { key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: 'acme~cus_ada' },
      { key: SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE, value: 'active' },
      { key: NEXT_CHARGE_AT_SEARCH_ATTRIBUTE, value: new Date('2026-01-31T10:00:00.000Z') },
    ]);
    expect(initialSubscriptionSearchAttributes({ ...input, trialDays: 14 })).toEqual([
      { key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: 'acme~cus_ada' },
      { key: SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE, value: 'trialing' },
      { key: NEXT_CHARGE_AT_SEARCH_ATTRIBUTE, value: new Date('2026-02-14T10:00:00.000Z') },
    ]);
  });

  it('start input the workflow will refuse with the customer only (no date to compute)', () => {
    expect(initialSubscriptionSearchAttributes({ ...input, startAt: 'tomorrow' })).toEqual([
      { key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: 'acme~cus_ada' },
    ]);
  });

  it('remove NextChargeAt once nothing is due', () => {
    expect(
      subscriptionSearchAttributes('acme~cus_ada', { status: 'canceled', nextChargeAt: null }),
    ).toEqual([
      { key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: 'acme~cus_ada' },
      { key: SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE, value: 'canceled' },
      { key: NEXT_CHARGE_AT_SEARCH_ATTRIBUTE, value: null },
    ]);
  });

  it('start a loyalty program with its customer', () => {
    expect(loyaltySearchAttributes('acme~cus_ada')).toEqual([
      { key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: 'acme~cus_ada' },
    ]);
  });
});
