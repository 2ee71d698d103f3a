/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'loyalty-worker',
  rootDir: __dirname,
};
