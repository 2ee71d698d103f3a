/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.int-preset.cjs')({ target: 'int-test', testServers: ['cassandra'] }),
  displayName: 'astra-repo',
  rootDir: __dirname,
};
