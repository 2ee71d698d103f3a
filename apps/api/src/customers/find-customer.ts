import { localId, NotFoundError, type CustomersPort } from '@invincible/astra-repo';
import { notFound } from '../http/http-error';

/** The customer stored as `storedId`; 404 naming the tenant's own id when there is none. */
export function findCustomer(customers: CustomersPort, storedId: string) {
  return customers.get(storedId).catch((error: unknown) => {
    throw error instanceof NotFoundError ? notFound(`no customer ${localId(storedId)}`) : error;
  });
}
