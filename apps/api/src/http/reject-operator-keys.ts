import type { RequestHandler } from 'express';
import { badRequest } from './http-error';

/**
 * Rejects a JSON body with a member whose name starts with `$` anywhere in it (a database query
 * operator in waiting). Schemas reject unknown members too; this names the offence precisely and
 * covers every route, whatever its schema. Iterative, so a deeply nested body cannot overflow.
 */
export const rejectOperatorKeys: RequestHandler = (req, _res, next) => {
  const offending = findOperatorKey(req.body);
  if (offending !== undefined) {
    throw badRequest('Member names may not start with "$"', [
      { in: 'body', field: offending, message: 'member names may not start with "$"' },
    ]);
  }
  next();
};

function findOperatorKey(body: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: body, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string };
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!Array.isArray(value) && key.startsWith('$')) return childPath;
      stack.push({ value: child, path: childPath });
    }
  }
  return undefined;
}
