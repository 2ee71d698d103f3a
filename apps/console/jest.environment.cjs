// jsdom, plus the fetch classes of Node itself (jsdom has none): the API client runs on the real
// Request/Response/Headers, and each test passes a fake `fetch` at the network boundary only.
const { TestEnvironment } = require('jest-environment-jsdom');

class ConsoleTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      'Request',
      'Response',
      'Headers',
      'ReadableStream',
      'TextEncoder',
      'TextDecoder',
      // A Request only takes Node's own AbortSignal.
      'AbortController',
      'AbortSignal',
      'structuredClone',
    ]) {
      this.global[name] = globalThis[name];
    }
    // No real network from a test: a request without a fake fetch fails loudly.
    this.global.fetch = () =>
      Promise.reject(new Error('no network in tests: pass a fake fetch to the client'));
  }
}

module.exports = ConsoleTestEnvironment;
