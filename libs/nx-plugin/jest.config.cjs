/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'nx-plugin',
  rootDir: __dirname,
};
