/**
 * A subscription's search attributes, from billing's own model: the keys are shared
 * (`search-attributes/contract.ts`), what a subscription sets them to is billing's.
 */
import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import {
  CUSTOMER_ID_SEARCH_ATTRIBUTE,
  NEXT_CHARGE_AT_SEARCH_ATTRIBUTE,
  SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE,
} from '../search-attributes/contract';
import { initialState } from './billing-model';
import {
  subscriptionInputProblems,
  type SubscriptionInput,
  type SubscriptionState,
} from './contract';

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
