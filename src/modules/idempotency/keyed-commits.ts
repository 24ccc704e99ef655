import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
} from 'typeorm';
import { unavailableError } from '../../common/errors/unavailable-errors';
import { commitWatcher, type CommitWatcher } from '../../common/http/request-context';
import { leaseLostError } from './idempotency-answers';
import { IdempotencyKeysRepository, KeyMark } from './idempotency-keys.repository';

/** What a keyed request that failed did: nothing, all it wrote saved, or one cannot tell. */
export type KeyedOutcome = 'none' | 'saved' | 'unknown';

/** A COMMIT's fate as PostgreSQL tells it afterwards (txid_status), or unknown. */
export type CommitFate = 'committed' | 'aborted' | 'unknown';

interface Tx {
  runner: object;
  state: 'open' | 'committing' | 'committed' | 'rolled-back';
  /** Its transaction id when it wrote (or locked) anything: read just before its COMMIT. */
  xid: string | null;
}

/**
 * The transactions of one keyed request, in the order they began, and how each ended: the
 * onSend hook reads them when the answer is one a key does not keep (a 5xx, a collision), since
 * a retry under the key would then run again what may already be saved (IdempotencyOutcomes).
 *
 * "Wrote" is PostgreSQL's: the transaction has an id, which writing gives it, and so does
 * locking a row (FOR UPDATE and its kin, ON CONFLICT DO UPDATE): nearly every use case locks
 * before it writes, so in practice a transaction that wrote is one of the use case's own.
 *
 * - saved: a transaction that wrote committed, and none began after it that failed: the
 *   failure came after the work (reading its answer back). Told ANSWER_LOST.
 * - none: nothing that wrote committed. The key is freed and a retry runs afresh, as before.
 * - unknown: a COMMIT went unanswered and PostgreSQL could not be asked how it ended, or a
 *   transaction failed after one that wrote had committed (the request broke between two of
 *   its steps: which one the caller meant, nobody here can tell). Told OUTCOME_UNKNOWN.
 *
 * Work on the side of the request (a credit standing stored on the way, a read-back in a
 * transaction) runs unwatched (runUnwatched), so that its fate does not stand for the
 * request's. Transactions are taken in the order they began: none of today's keyed use cases
 * runs two at once.
 */
export class CommitRecord implements CommitWatcher {
  private readonly txs: Tx[] = [];
  answered = false;

  constructor(readonly holder: { scope: string; key: string; token: string }) {}

  started(runner: object): void {
    this.txs.push({ runner, state: 'open', xid: null });
  }

  committing(runner: object, xid: string | null): void {
    const tx = this.current(runner);
    if (tx) Object.assign(tx, { state: 'committing', xid });
  }

  committed(runner: object): void {
    const tx = this.current(runner);
    if (tx) tx.state = 'committed';
  }

  rolledBack(runner: object): void {
    const tx = this.current(runner);
    if (tx) tx.state = 'rolled-back';
  }

  /** Whether a transaction of this request had this id. */
  wrote(xid: string): boolean {
    return this.txs.some((t) => t.xid === xid);
  }

  /** The ids of the transactions that wrote and whose COMMIT was never answered. */
  get inDoubt(): string[] {
    return this.txs.flatMap((t) => (t.state === 'committing' && t.xid ? [t.xid] : []));
  }

  /** The outcome, given the fate of each transaction in doubt (by its id). */
  outcome(fates: ReadonlyMap<string, CommitFate> = new Map()): KeyedOutcome {
    const effects = this.txs.map((t) => effectOf(t, fates));
    if (effects.includes('unknown')) return 'unknown';
    const last = effects.lastIndexOf('saved');
    if (last === -1) return 'none';
    return effects.slice(last + 1).includes('failed') ? 'unknown' : 'saved';
  }

  private current(runner: object): Tx | undefined {
    return this.txs.findLast(
      (t) => t.runner === runner && (t.state === 'open' || t.state === 'committing'),
    );
  }
}

/**
 * What a transaction left: saved (it wrote and committed), nothing (it only read and
 * committed), failed (rolled back, or never got to its COMMIT: its connection died, and
 * PostgreSQL rolled it back), or unknown (it wrote, and its COMMIT's fate is not known).
 */
function effectOf(
  t: Tx,
  fates: ReadonlyMap<string, CommitFate>,
): 'saved' | 'nothing' | 'failed' | 'unknown' {
  switch (t.state) {
    case 'committed':
      return t.xid ? 'saved' : 'nothing';
    case 'committing': {
      // It had written (and locked) nothing: whatever became of its COMMIT, it changed nothing.
      if (!t.xid) return 'nothing';
      const fate = fates.get(t.xid) ?? 'unknown';
      return fate === 'committed' ? 'saved' : fate === 'aborted' ? 'failed' : 'unknown';
    }
    default:
      return 'failed';
  }
}

/**
 * Whether a transaction about to commit, which wrote (or locked), belongs to a request whose
 * key a retry took over: the request stalled past its lease (a paused process, or its
 * heartbeats failing) and is still running (not answered). Committing would run it twice, so
 * KeyedCommits throws before the COMMIT and the transaction is rolled back. Not when the row
 * stands on a save of this request's own: a retry could not take it over then, only settle it
 * OUTCOME_UNKNOWN (abandonSaved), and nobody else runs the request; committing completes it.
 */
export function takenOver(mark: KeyMark, record: Pick<CommitWatcher, 'wrote'>): boolean {
  if (!mark.xid || mark.marked) return false;
  return !(mark.savedBy !== null && record.wrote(mark.savedBy));
}

/** TypeORM's nesting depth (1: the transaction itself; deeper: a savepoint). Not in its types. */
const depthOf = (runner: QueryRunner) =>
  (runner as unknown as { transactionDepth: number }).transactionDepth;

/**
 * Tells the current keyed request's CommitRecord how each of its transactions goes. Before a
 * COMMIT it reads the transaction's id, if it has one, and writes it on the key's row in the
 * same transaction (IdempotencyKeysRepository.markSaving: one round trip, on keyed requests
 * only). One without has written nothing; PostgreSQL can say later how one with it ended
 * (`txid_status`), should its COMMIT's answer be lost with its connection; and the key's row
 * tells, whatever becomes of this process, that its request saved something. Savepoints
 * (TypeORM announces them as transactions too) are left out. Outside a keyed request (no
 * watcher) this is one lookup per event.
 */
@Injectable()
export class KeyedCommits implements EntitySubscriberInterface {
  constructor(
    @InjectDataSource() db: DataSource,
    private readonly keys: IdempotencyKeysRepository,
  ) {
    db.subscribers.push(this);
  }

  afterTransactionStart(event: TransactionStartEvent): void {
    const watcher = commitWatcher();
    if (watcher && !watcher.answered && depthOf(event.queryRunner) === 1) {
      watcher.started(event.queryRunner);
    }
  }

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const watcher = commitWatcher();
    if (!watcher || watcher.answered || depthOf(event.queryRunner) !== 1) return;
    const { scope, key, token } = watcher.holder;
    let mark: KeyMark;
    try {
      mark = await this.keys.markSaving(event.queryRunner.manager, scope, key, token);
    } catch (err) {
      // The connection died: its COMMIT cannot be sent either, so it stays open, which is
      // failed (PostgreSQL rolled it back when the connection went). Anything else (a statement
      // timeout, a cancel) aborted the transaction, whose COMMIT PostgreSQL would answer with a
      // silent ROLLBACK: the transaction fails with it instead.
      if (!unavailableError(err)) throw err;
      return;
    }
    if (takenOver(mark, watcher)) throw leaseLostError(key);
    watcher.committing(event.queryRunner, mark.xid);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.isTransactionActive) commitWatcher()?.committed(event.queryRunner);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) commitWatcher()?.rolledBack(event.queryRunner);
  }
}
