import { createConfig } from '../../eslint.config.mjs';

// Every source of this app is billing's: the domain boundaries apply to all of it.
export default createConfig({ domainFiles: { billing: ['src/**/*.ts'] } });
