import { ensureSearchAttributes, SearchAttributesError } from '@invincible/temporal-runtime';
import { SEARCH_ATTRIBUTE_KEYS } from '@invincible/workflows';
import { Connection } from '@temporalio/client';
import type { StackConfig } from '../config';
import { SearchAttributesSetupError } from '../errors';

/**
 * Part of a local Temporal's readiness: the custom search attributes the workflows set
 * (SEARCH_ATTRIBUTE_KEYS) are registered in `namespace`, added through the OperatorService if
 * missing (idempotent). False while the server or the namespace is not there yet; a refusal
 * that no wait can fix (an attribute of another type) stops the start with its one line.
 *
 * The dev server's `--search-attribute` flags cover only the namespaces it creates: a SQLite
 * file from before them, or the Temporal server on Cassandra, gets them here.
 */
export async function searchAttributesReady(
  address: string,
  namespace: string,
  options: StackConfig['temporalConnection'] = {},
): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, address, connectTimeout: 2_000 });
    await connection.workflowService.describeNamespace({ namespace });
    await ensureSearchAttributes({
      operator: connection.operatorService,
      namespace,
      attributes: SEARCH_ATTRIBUTE_KEYS,
    });
    return true;
  } catch (error) {
    if (error instanceof SearchAttributesError) throw new SearchAttributesSetupError(error.message);
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
