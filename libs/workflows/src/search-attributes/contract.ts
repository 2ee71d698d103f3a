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
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
} from '@temporalio/common';
import { initialState } from '../billing/billing-model';
import {
  subscriptionInputProblems,
  type SubscriptionInput,
  type SubscriptionState,
} from '../billing/contract';

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

/**
 * A subscription's attributes for `state`, as the workflow upserts them: `NextChargeAt` is
 * `null` (removed) once nothing is due, so a range query never finds an ended subscription.
 */
export function subscriptionSearchAttributes(
  customerId: string,
  state: Pick<SubscriptionState, 'status' | 'nextChargeAt'>,
): SearchAttributeUpdatePair[] {
  return [
    { key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: customerId },
    { key: SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE, value: state.status },
    {
      key: NEXT_CHARGE_AT_SEARCH_ATTRIBUTE,
      value: state.nextChargeAt === null ? null : new Date(state.nextChargeAt),
    },
  ];
}

/**
 * The attributes a subscription is started with (`typedSearchAttributes`): those of its initial
 * state, so that it is found from its first instant, and its first run has nothing to upsert.
 * Input the workflow will refuse gets `CustomerId` only.
 */
export function initialSubscriptionSearchAttributes(
  input: SubscriptionInput,
): SearchAttributePair[] {
  if (subscriptionInputProblems(input).length > 0)
    return [{ key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: input.customerId }];
  return subscriptionSearchAttributes(input.customerId, initialState(input)).filter(
    (pair): pair is SearchAttributePair => pair.value !== null,
  );
}

/** The attributes a customer's loyalty program is started with. */
export function loyaltySearchAttributes(customerId: string): SearchAttributePair[] {
  return [{ key: CUSTOMER_ID_SEARCH_ATTRIBUTE, value: customerId }];
}
