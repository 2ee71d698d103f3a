/** @type {import('jest').Config} */
module.exports = {
  // The generators' integration test generates into a copy of the workspace and runs Nx there;
  // the copy's own int-test finds Temporal's test server through tools:provision.
  ...require('../../jest.int-preset.cjs')({ target: 'int-test', testServers: [] }),
  displayName: 'nx-plugin',
  rootDir: __dirname,
};
