/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.int-preset.cjs')({
    target: 'int-test',
    testServers: ['cassandra', 'temporal', 'temporal-cassandra'],
  }),
  displayName: 'loyalty-worker',
  rootDir: __dirname,
};
