/**
 * `p`, or a rejection naming `what` once `ms` have passed without its answer. The work itself
 * goes on (a promise cannot be cancelled): only callers whose work may land late use it.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what = 'no answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
