/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'astra-repo',
  rootDir: __dirname,
};
