/** The API's shapes, as the generated schema names them (see schema.gen.ts). */
import type { components, paths } from './schema.gen';

type Schemas = components['schemas'];

/** The JSON body of `path`'s successful GET. */
type GetBody<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;

export type Customer = Schemas['Customer'];
export type Subscription = Schemas['Subscription'];
export type SubscriptionStatus = Subscription['status'];
export type Charge = Schemas['Charge'];
export type SubscriptionEvent = Schemas['SubscriptionEvent'];
export type Money = Schemas['Money'];
/** An ISO 4217 code the API accepts (the lists of the form selects come from the same table). */
export type Currency = Money['currency'];
export type Coupon = Schemas['Coupon'];
export type LoyaltyBalance = Schemas['LoyaltyBalance'];
export type Email = Schemas['Email'];
export type PurchaseResult = Schemas['PurchaseResult'];
export type IntervalUnit = Schemas['Interval']['unit'];
export type CreateSubscription = Schemas['CreateSubscription'];

export type CustomerPage = GetBody<'/v1/customers'>;
export type Purchase = GetBody<'/v1/customers/{customerId}/purchases'>['items'][number];
export type Overview = GetBody<'/v1/overview'>;
