import { ConfigError, loadStackConfig } from './config';

describe('loadStackConfig', () => {
  it('defaults to a local Temporal dev server and a local Cassandra on the usual ports', () => {
    const config = loadStackConfig({ HOME: '/home/dev' });
    expect(config.temporal).toEqual({
      mode: 'local',
      cliPath: undefined,
      port: 7233,
      uiPort: 8233,
      namespace: 'default',
    });
    expect(config.database).toMatchObject({
      mode: 'local',
      port: 9042,
      storagePort: 7000,
      heap: '1G',
    });
    expect(config.cacheDir).toBe('/home/dev/.cache/invincible');
    expect(config.apiPort).toBe(3000);
  });

  it('starts nothing local for servers given by address', () => {
    const config = loadStackConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042,10.0.0.2:9042',
      CASSANDRA_LOCAL_DATA_CENTER: 'dc2',
    });
    expect(config.temporal).toEqual({
      mode: 'external',
      address: 'temporal.internal:7233',
      namespace: 'default',
    });
    expect(config.database).toEqual({
      mode: 'external',
      contactPoints: '10.0.0.1:9042,10.0.0.2:9042',
      localDataCenter: 'dc2',
    });
  });

  it('prefers Astra DB when its endpoint is set', () => {
    const config = loadStackConfig({
      ASTRA_DB_API_ENDPOINT: 'https://db-id-region.apps.astra.example',
    });
    expect(config.database).toEqual({
      mode: 'astra',
      endpoint: 'https://db-id-region.apps.astra.example',
    });
  });

  it('treats empty variables as unset', () => {
    expect(
      loadStackConfig({ TEMPORAL_ADDRESS: '', CASSANDRA_CONTACT_POINTS: ' ' }).temporal.mode,
    ).toBe('local');
  });

  it('reports every invalid variable at once', () => {
    const attempt = () =>
      loadStackConfig({
        TEMPORAL_PORT: 'seventy',
        CASSANDRA_PORT: '70000',
        CASSANDRA_HEAP: 'lots',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const issues = (error as ConfigError).issues.join('\n');
      expect(issues).toMatch(/TEMPORAL_PORT/);
      expect(issues).toMatch(/CASSANDRA_PORT/);
      expect(issues).toMatch(/CASSANDRA_HEAP: a JVM heap size/);
    }
  });
});
