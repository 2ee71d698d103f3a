import { createConfig } from '../../eslint.config.mjs';

// Every source of this app is loyalty's: the domain boundaries apply to all of it.
export default createConfig({ domainFiles: { loyalty: ['src/**/*.ts'] } });
