/**
 * The custom search attributes: set by the API when it starts a workflow, kept current by the
 * workflows, registered by the stack and checked by the workers at start, and queried by people
 * (`temporal workflow list --query "SubscriptionStatus='past_due'"`). Imported by all of them;
 * no other file spells these names.
 *
 * A namespace must know an attribute before any workflow sets it: an unknown one fails the
 * start, or the workflow task of an upsert — over and over, so the subscription would stop
 * billing. Hence the workers refuse to start without them (`ensureSearchAttributes` in
 * libs/temporal-runtime).
 *
 * Shared by both domains, so it knows neither's model: a subscription's attributes are billing's
 * (`billing/search-attributes.ts`).
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
} from '@temporalio/common';

/** The customer a subscription or loyalty program belongs to (tenant-qualified, as stored). */
export const CUSTOMER_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey(
  'CustomerId',
  SearchAttributeType.KEYWORD,
);

/** A subscription's `SubscriptionStatus`: trialing, active, past_due, paused, canceled, completed. */
export const SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE = defineSearchAttributeKey(
  'SubscriptionStatus',
  SearchAttributeType.KEYWORD,
);

/** When a subscription charges next (a dunning retry included); absent when nothing is due. */
export const NEXT_CHARGE_AT_SEARCH_ATTRIBUTE = defineSearchAttributeKey(
  'NextChargeAt',
  SearchAttributeType.DATETIME,
);

/** A search attribute's name and type, as `defineSearchAttributeKey` returns them. */
export interface SearchAttributeDefinition {
  readonly name: string;
  readonly type: SearchAttributeType;
}

/** Every custom search attribute the workflows set: what a namespace must have registered. */
export const SEARCH_ATTRIBUTE_KEYS: readonly SearchAttributeDefinition[] = [
  CUSTOMER_ID_SEARCH_ATTRIBUTE,
  SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE,
  NEXT_CHARGE_AT_SEARCH_ATTRIBUTE,
];

/** The attributes a customer's loyalty program is started with. */
export function loyaltySearchAttributes(customerId: string): SearchAttributePair[] {
  return [{ key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: customerId }];
}
