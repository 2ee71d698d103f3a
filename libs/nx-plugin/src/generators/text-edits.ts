import type { Tree } from '@nx/devkit';

/**
 * Inserts `text` into `file` just before the first `before` that follows `after`: the generators'
 * way into hand-written TypeScript and Markdown (lists and maps keyed by domain). Throws naming
 * the file when an anchor is gone, so a refactor that moves one fails loudly.
 */
export function insertBefore(
  tree: Tree,
  file: string,
  after: string,
  before: string,
  text: string,
): void {
  const source = read(tree, file);
  const start = source.indexOf(after);
  const at = start < 0 ? -1 : source.indexOf(before, start + after.length);
  if (at < 0) throw new Error(`${file}: cannot find "${before}" after "${after}"`);
  tree.write(file, source.slice(0, at) + text + source.slice(at));
}

/** Replaces the one occurrence of `from` in `file`; throws naming the file when it is not there. */
export function replaceOnce(tree: Tree, file: string, from: string | RegExp, to: string): void {
  const source = read(tree, file);
  const next = source.replace(from, to);
  if (next === source) throw new Error(`${file}: cannot find ${String(from)}`);
  tree.write(file, next);
}

function read(tree: Tree, file: string): string {
  const source = tree.read(file, 'utf-8');
  if (source === null) throw new Error(`${file} does not exist`);
  return source;
}
