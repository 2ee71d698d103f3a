/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'temporal-runtime',
  rootDir: __dirname,
};
