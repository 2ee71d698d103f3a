import { loadConsoleConfig, loadDevKey, parseConsoleConfig, workflowUrl } from './console-config';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('config.json', () => {
  it('builds Web UI links to the workflow ids the API names', () => {
    const config = parseConsoleConfig({
      temporalUiUrl: 'http://127.0.0.1:8233/',
      namespace: 'default',
    });
    expect(workflowUrl(config, 'subscription:dev~sub_1')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows/subscription%3Adev~sub_1',
    );
    expect(workflowUrl(config, 'loyalty:dev~cus_ada')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows/loyalty%3Adev~cus_ada',
    );
  });

  it('builds no link it cannot build right: no config, no workflow id yet, not a web URL', () => {
    expect(workflowUrl(null, 'loyalty:dev~cus_ada')).toBeNull();
    const config = parseConsoleConfig({ temporalUiUrl: 'http://ui.test', namespace: 'default' });
    expect(config).toEqual({ temporalUiUrl: 'http://ui.test', namespace: 'default' });
    expect(workflowUrl(config, undefined)).toBeNull();
    expect(
      parseConsoleConfig({ temporalUiUrl: 'javascript:alert(1)', namespace: 'default' }),
    ).toBeNull();
    expect(parseConsoleConfig({ temporalUiUrl: 'http://ui.test', namespace: '' })).toBeNull();
  });

  it('is read beside index.html; a 404 or a broken file means none', async () => {
    const asked: string[] = [];
    const fetch = (url: string) => {
      asked.push(url);
      return Promise.resolve(
        url.endsWith('config.json')
          ? json(200, { temporalUiUrl: 'http://ui.test', namespace: 'ns' })
          : json(404, {}),
      );
    };
    expect(await loadConsoleConfig(fetch, '/console/')).toEqual({
      temporalUiUrl: 'http://ui.test',
      namespace: 'ns',
    });
    expect(await loadDevKey(fetch, '/console/')).toBeNull();
    expect(asked).toEqual(['/console/config.json', '/console/dev-key.json']);
    expect(
      await loadConsoleConfig(
        () => Promise.resolve(new Response('<html>', { status: 200 })),
        '/console/',
      ),
    ).toBeNull();
    expect(
      await loadConsoleConfig(() => Promise.reject(new TypeError('offline')), '/console/'),
    ).toBeNull();
  });

  it('offers the development key only when the host serves one', async () => {
    const fetch = () => Promise.resolve(json(200, { apiKey: ' dev-key-123 ' }));
    expect(await loadDevKey(fetch, '/console/')).toBe('dev-key-123');
    expect(
      await loadDevKey(() => Promise.resolve(json(200, { apiKey: '' })), '/console/'),
    ).toBeNull();
  });
});
