/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.int-preset.cjs')({
    target: 'int-test',
    testServers: ['cassandra', 'temporal'],
  }),
  displayName: 'api',
  rootDir: __dirname,
};
