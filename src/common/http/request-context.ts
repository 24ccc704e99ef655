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

/** Told how a keyed request's transactions go (KeyedCommits). Runners are TypeORM's. */
export interface CommitWatcher {
  /** The key the request holds: its row records what the request saved. */
  readonly holder: { scope: string; key: string; token: string };
  /**
   * The request has been answered (its key settled): a transaction still running in its
   * context is late work on the side, neither followed nor marked.
   */
  readonly answered: boolean;
  /** Whether a transaction of the request had this id (it wrote, and went to its COMMIT). */
  wrote(xid: string): boolean;
  /** A transaction began. */
  started(runner: object): void;
  /** It is sending its COMMIT; `xid` when it wrote (or locked) anything, else null. */
  committing(runner: object, xid: string | null): void;
  /** Its COMMIT was answered. */
  committed(runner: object): void;
  /** Its ROLLBACK was answered. */
  rolledBack(runner: object): void;
}

/** Watches the transactions of the rest of the current request (a keyed one: KeyedCommits). */
export function watchCommits(watcher: CommitWatcher): void {
  const context = storage.getStore();
  if (context) context.commits = watcher;
}

/** The current request's commit watcher, if it has one. */
export function commitWatcher(): CommitWatcher | undefined {
  return storage.getStore()?.commits;
}

/**
 * The Idempotency-Key the current request holds, or null. For a use case that is one statement
 * outside a transaction, which KeyedCommits cannot follow: it keeps the key with what it does,
 * so that its retry after a lost answer finds it (claim-next, migration ClaimNextKeyed).
 */
export function currentIdempotencyKey(): string | null {
  return storage.getStore()?.commits?.holder.key ?? null;
}

/**
 * Runs `fn` with its transactions unwatched: work a keyed request does on the side, which is
 * not what its caller asked for (a credit standing recomputed and stored on the way).
 */
export function runUnwatched<T>(fn: () => T): T {
  const context = storage.getStore();
  return context?.commits ? storage.run({ ...context, commits: undefined }, fn) : fn();
}
