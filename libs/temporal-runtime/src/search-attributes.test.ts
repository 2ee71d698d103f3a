import {
  ensureSearchAttributes,
  missingSearchAttributes,
  searchAttributeCommands,
  SearchAttributesError,
  type SearchAttributeOperator,
  type SearchAttributeSpec,
} from './search-attributes';

const ATTRIBUTES: SearchAttributeSpec[] = [
  { name: 'CustomerId', type: 'KEYWORD' },
  { name: 'SubscriptionStatus', type: 'KEYWORD' },
  { name: 'NextChargeAt', type: 'DATETIME' },
];
// Temporal's IndexedValueType numbers (temporal.api.enums.v1).
const KEYWORD = 2;
const DATETIME = 6;

/** A gRPC refusal as the SDK's connections throw it: a numeric status code and the server's text. */
function serviceError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

/**
 * An OperatorService shaped like the real one, over a map of the namespace's custom attributes:
 * adds what it is given, or throws `refuseAdd` (Temporal Cloud with namespace-scoped credentials).
 */
function fakeOperator(
  custom: Record<string, number>,
  refuseAdd?: Error,
): SearchAttributeOperator & { readonly added: Record<string, number>[] } {
  const added: Record<string, number>[] = [];
  return {
    added,
    listSearchAttributes: ({ namespace }) => {
      if (namespace !== 'billing')
        return Promise.reject(serviceError(5, `Namespace ${namespace} is not found.`));
      return Promise.resolve({
        customAttributes: { ...custom },
        systemAttributes: { WorkflowId: KEYWORD },
      });
    },
    addSearchAttributes: ({ searchAttributes }) => {
      if (refuseAdd) return Promise.reject(refuseAdd);
      added.push(searchAttributes);
      Object.assign(custom, searchAttributes);
      return Promise.resolve({});
    },
  };
}

describe('ensureSearchAttributes', () => {
  it('adds the missing attributes with their types, then finds nothing to do', async () => {
    const operator = fakeOperator({ CustomerId: KEYWORD });
    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).resolves.toEqual({ added: ['SubscriptionStatus', 'NextChargeAt'] });
    expect(operator.added).toEqual([{ SubscriptionStatus: KEYWORD, NextChargeAt: DATETIME }]);

    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).resolves.toEqual({ added: [] });
    expect(operator.added).toHaveLength(1);
  });

  it('refuses in one line naming the commands when the server will not add them', async () => {
    const operator = fakeOperator(
      { CustomerId: KEYWORD },
      serviceError(7, 'Request unauthorized.'),
    );
    const error = await ensureSearchAttributes({
      operator,
      namespace: 'billing',
      attributes: ATTRIBUTES,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchAttributesError);
    const { message, attributes, namespace } = error as SearchAttributesError;
    expect(message).not.toContain('\n');
    expect(message).toBe(
      'Temporal namespace billing lacks the search attributes SubscriptionStatus (Keyword), ' +
        'NextChargeAt (Datetime) that the workflows set, and they could not be added ' +
        '(PERMISSION_DENIED: Request unauthorized.); register them, then start again: ' +
        'temporal operator search-attribute create --namespace billing --name SubscriptionStatus --type Keyword' +
        ' && temporal operator search-attribute create --namespace billing --name NextChargeAt --type Datetime' +
        '; on Temporal Cloud: tcld namespace search-attributes add --namespace billing' +
        ' --sa SubscriptionStatus=Keyword --sa NextChargeAt=Datetime' +
        ' (or the Cloud UI: Namespaces → billing → Search Attributes)',
    );
    expect({ attributes, namespace }).toEqual({
      attributes: ['SubscriptionStatus', 'NextChargeAt'],
      namespace: 'billing',
    });
  });

  it('starts when the server refuses to add but someone registered them meanwhile', async () => {
    const custom: Record<string, number> = { CustomerId: KEYWORD };
    const operator = fakeOperator(custom, serviceError(7, 'Request unauthorized.'));
    const list = operator.listSearchAttributes.bind(operator);
    let calls = 0;
    operator.listSearchAttributes = (request) => {
      // An operator ran the command between our list and our add.
      if (++calls === 2)
        Object.assign(custom, { SubscriptionStatus: KEYWORD, NextChargeAt: DATETIME });
      return list(request);
    };
    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).resolves.toEqual({ added: ['SubscriptionStatus', 'NextChargeAt'] });
  });

  it('two replicas starting at once: the one the server answers "already exists" waits to see them listed', async () => {
    const custom: Record<string, number> = {};
    let lists = 0;
    const operator: SearchAttributeOperator = {
      // The other replica's add reaches the listing only on the third read (the server's cache).
      listSearchAttributes: () => {
        lists += 1;
        if (lists === 3)
          Object.assign(custom, {
            CustomerId: KEYWORD,
            SubscriptionStatus: KEYWORD,
            NextChargeAt: DATETIME,
          });
        return Promise.resolve({ customAttributes: { ...custom }, systemAttributes: {} });
      },
      addSearchAttributes: () =>
        Promise.reject(serviceError(6, 'Search attribute CustomerId already exists.')),
    };
    await expect(
      ensureSearchAttributes({
        operator,
        namespace: 'billing',
        attributes: ATTRIBUTES,
        settleMs: 5_000,
      }),
    ).resolves.toEqual({ added: [] });
    expect(lists).toBe(3);
  });

  it('refuses an attribute registered with another type: a type never changes', async () => {
    const operator = fakeOperator({
      CustomerId: KEYWORD,
      SubscriptionStatus: KEYWORD,
      NextChargeAt: KEYWORD,
    });
    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).rejects.toThrow(
      /^Temporal namespace billing: search attribute NextChargeAt is Keyword, not Datetime — a type cannot change/,
    );
    expect(operator.added).toEqual([]);
  });

  it('waits for a namespace a restarted server has not loaded yet', async () => {
    const operator = fakeOperator({});
    const list = operator.listSearchAttributes.bind(operator);
    let calls = 0;
    operator.listSearchAttributes = (request) =>
      ++calls <= 2 ? list({ namespace: 'not loaded yet' }) : list(request);
    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).resolves.toEqual({ added: ['CustomerId', 'SubscriptionStatus', 'NextChargeAt'] });
    expect(calls).toBe(4); // twice not found, then before and after the add
  });

  it('names the namespace when it cannot even list', async () => {
    const operator = fakeOperator({});
    await expect(
      ensureSearchAttributes({
        operator,
        namespace: 'billling',
        attributes: ATTRIBUTES,
        namespaceWaitMs: 0,
      }),
    ).rejects.toThrow(
      'cannot list the search attributes of Temporal namespace billling to check for CustomerId, SubscriptionStatus, NextChargeAt (NOT_FOUND: Namespace billling is not found.)',
    );
  });

  it('rethrows a connection problem as it is, for the reconnect loop', async () => {
    const unavailable = serviceError(14, 'transport error');
    const operator = fakeOperator({}, unavailable);
    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).rejects.toBe(unavailable);
  });

  it('waits a bounded time for attributes just added to be listed', async () => {
    const custom: Record<string, number> = {};
    const operator = fakeOperator(custom);
    const add = operator.addSearchAttributes.bind(operator);
    // A server whose namespace cache lags: listed 600 ms after being added, never with settleMs 0.
    operator.addSearchAttributes = async (request) => {
      await add({ ...request, searchAttributes: {} });
      setTimeout(() => Object.assign(custom, request.searchAttributes), 600);
      return {};
    };
    await expect(
      ensureSearchAttributes({ operator, namespace: 'billing', attributes: ATTRIBUTES }),
    ).resolves.toEqual({ added: ['CustomerId', 'SubscriptionStatus', 'NextChargeAt'] });
  });
});

describe('searchAttributeCommands', () => {
  it('groups the CLI commands by type (one --type each) and lists them all for Temporal Cloud', () => {
    expect(searchAttributeCommands('default', ATTRIBUTES)).toBe(
      'temporal operator search-attribute create --namespace default --name CustomerId --name SubscriptionStatus --type Keyword' +
        ' && temporal operator search-attribute create --namespace default --name NextChargeAt --type Datetime' +
        '; on Temporal Cloud: tcld namespace search-attributes add --namespace default' +
        ' --sa CustomerId=Keyword --sa SubscriptionStatus=Keyword --sa NextChargeAt=Datetime' +
        ' (or the Cloud UI: Namespaces → default → Search Attributes)',
    );
  });
});

describe('missingSearchAttributes', () => {
  it('names the attributes not listed, or listed with another type, and adds nothing', async () => {
    const operator = fakeOperator({ CustomerId: KEYWORD, NextChargeAt: KEYWORD });
    await expect(missingSearchAttributes(operator, 'billing', ATTRIBUTES)).resolves.toEqual([
      'SubscriptionStatus',
      'NextChargeAt',
    ]);
    expect(operator.added).toEqual([]);
  });

  it('finds nothing missing once all are registered', async () => {
    const operator = fakeOperator({
      CustomerId: KEYWORD,
      SubscriptionStatus: KEYWORD,
      NextChargeAt: DATETIME,
    });
    await expect(missingSearchAttributes(operator, 'billing', ATTRIBUTES)).resolves.toEqual([]);
  });

  it("passes the server's refusal on (an unknown namespace)", async () => {
    await expect(missingSearchAttributes(fakeOperator({}), 'other', ATTRIBUTES)).rejects.toThrow(
      /Namespace other is not found/,
    );
  });
});
