/** A dependency the API needs to serve requests, checked by `GET /readyz`. */
export type ReadinessCheck = () => Promise<void>;

export type CheckStatus = 'up' | 'down';

/** Runs every check at once, each bounded by `timeoutMs`; a check that throws or hangs is down. */
export async function runChecks(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
): Promise<Record<string, CheckStatus>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckStatus]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, 'up'];
      } catch {
        return [name, 'down'];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}
