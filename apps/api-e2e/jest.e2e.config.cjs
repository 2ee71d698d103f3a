/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.int-preset.cjs')({
    target: 'e2e',
    testServers: ['cassandra', 'temporal', 'temporal-cassandra', 'data-api'],
  }),
  displayName: 'api-e2e',
  rootDir: __dirname,
};
