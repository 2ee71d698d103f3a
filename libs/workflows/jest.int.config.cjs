/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.int-preset.cjs')({ target: 'int-test', testServers: [] }),
  displayName: 'workflows',
  rootDir: __dirname,
};
