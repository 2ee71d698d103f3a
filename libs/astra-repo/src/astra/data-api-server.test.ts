import { createAstraRepository } from './astra-repository';
import { createDataApiEmulator } from './data-api-emulator';
import { serveDataApi } from './data-api-server';

describe('the Data API emulator over HTTP', () => {
  it('serves the astra adapter through astra-db-ts over a real socket', async () => {
    const server = await serveDataApi(createDataApiEmulator());
    try {
      const repo = createAstraRepository({
        backend: 'astra',
        endpoint: server.url,
        keyspace: 'http',
        environment: 'cassandra',
        auth: { username: 'cassandra', password: 'cassandra' },
      });
      await repo.migrate();
      const ada = { id: 'cus_ada', email: 'ada@example.com', name: 'Ada', createdAt: new Date(0) };
      await expect(repo.customers.create(ada)).resolves.toEqual({ record: ada, created: true });
      await expect(repo.customers.get('cus_ada')).resolves.toEqual(ada);
      await repo.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a request without credentials', async () => {
    const server = await serveDataApi(createDataApiEmulator());
    try {
      const res = await fetch(`${server.url}/v1/ks`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
