/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'billing-worker',
  rootDir: __dirname,
};
