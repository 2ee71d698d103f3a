import type * as Execa from 'execa';

/**
 * execa is ESM-only and the tools are CommonJS: load it through a real dynamic `import()` (Node's
 * ESM loader) rather than `require(esm)`, whose resolution of execa's own dependencies breaks
 * under the tsx loader.
 */
export function loadExeca(): Promise<typeof Execa> {
  return import('execa');
}
