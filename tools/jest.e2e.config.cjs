/** @type {import('jest').Config} */
module.exports = {
  ...require('../jest.int-preset.cjs')({ target: 'e2e', testServers: [] }),
  displayName: 'tools',
  rootDir: __dirname,
};
