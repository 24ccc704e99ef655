import { AsyncLocalStorage } from 'node:async_hooks';

/** What follows a piece of work from the HTTP request that started it into its jobs. */
export interface RequestContext {
  /** The request's X-Request-Id (see request-id.ts). */
  requestId: string;
  /** Set by a keyed request (watchCommits). */
  commits?: CommitWatcher;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` (and everything it awaits or schedules) with this context. The first HTTP
 * middleware runs the rest of the request in it; the job dispatcher runs each job in the
 * context its outbox row recorded, so a job that enqueues more work passes the same id on.
 */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Runs `fn` with no request context (a job that no request started). */
export function runWithoutRequestContext<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The current request's id, or null outside a request or a job a request started. */
export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}

/** Told how a keyed request's transactions end (KeyedCommits). Runners are TypeORM's. */
export interface CommitWatcher {
  /** A transaction that wrote is sending its COMMIT. */
  committing(runner: object): void;
  /** A transaction committed (its COMMIT answered). */
  committed(runner: object): void;
  /** A transaction rolled back (its ROLLBACK answered). */
  rolledBack(runner: object): void;
}

/** Watches the COMMITs of the rest of the current request (a keyed request: see KeyedCommits). */
export function watchCommits(watcher: CommitWatcher): void {
  const context = storage.getStore();
  if (context) context.commits = watcher;
}

/** The current request's commit watcher, if it has one. */
export function commitWatcher(): CommitWatcher | undefined {
  return storage.getStore()?.commits;
}
