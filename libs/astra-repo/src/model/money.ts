/**
 * An amount in integer minor units and its ISO 4217 currency: the one definition, shared with
 * every layer through @invincible/money.
 */
export type { Money } from '@invincible/money';
