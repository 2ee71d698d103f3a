import { createConfig } from '../../eslint.config.mjs';

// The workflow sandbox rules, on this project's sources as `nx lint workflows` sees them.
export default createConfig({ sandboxFiles: ['src/**/*.ts'] });
