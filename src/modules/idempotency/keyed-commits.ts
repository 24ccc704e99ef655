import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntitySubscriberInterface,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import { commitWatcher, type CommitWatcher } from '../../common/http/request-context';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';

/**
 * How a keyed request's writes ended, as far as this process knows: the outcome of its last
 * transaction that wrote. Committed, or its COMMIT sent and never answered (the connection died
 * under it: committed or not, nobody here can tell), or rolled back or none. The onSend hook
 * reads it when the answer is one a key does not keep (a 5xx): a retry under the key would do
 * again what is done, or may be (IdempotencyOutcomes).
 *
 * A rollback of any transaction counts as the last outcome: the use cases that write in several
 * transactions are built so that their earlier steps run again harmlessly (a credit standing
 * stored again, a booking found booked), so a later step that failed leaves the key free for
 * the whole to run again, as before. A statement outside a transaction (the intake's fast path,
 * claim-next, resolve: one call each) is not seen; those routes answer their own retries.
 */
export class CommitRecord implements CommitWatcher {
  private last: 'committed' | 'none' = 'none';
  private readonly sent = new Set<object>();

  committing(runner: object): void {
    this.sent.add(runner);
  }

  committed(runner: object): void {
    if (this.sent.delete(runner)) this.last = 'committed';
  }

  rolledBack(runner: object): void {
    this.sent.delete(runner);
    this.last = 'none';
  }

  get outcome(): 'committed' | 'in-doubt' | 'none' {
    return this.sent.size > 0 ? 'in-doubt' : this.last;
  }
}

/**
 * Tells the current keyed request's CommitRecord how each of its transactions ends. Before a
 * COMMIT it asks PostgreSQL whether the transaction wrote (one round trip, on keyed requests
 * only): a read-only one changes nothing, whatever happens to it. TypeORM announces a
 * savepoint's release or rollback as a commit or rollback too: it ends the transaction only
 * when the runner has none left. A COMMIT that failed for sure (a deferred constraint, a
 * serialization failure) is followed by TypeORM's ROLLBACK, which is answered; one whose
 * connection died is not (the ROLLBACK fails too), and stays in doubt. Without a keyed request
 * (no watcher) this is one lookup per commit.
 */
@Injectable()
export class KeyedCommits implements EntitySubscriberInterface {
  constructor(
    @InjectDataSource() db: DataSource,
    private readonly keys: IdempotencyKeysRepository,
  ) {
    db.subscribers.push(this);
  }

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const watcher = commitWatcher();
    if (!watcher) return;
    // When it cannot be asked (the connection died), assumed: its COMMIT is then in doubt.
    const wrote = await this.keys.transactionWrote(event.queryRunner.manager).catch(() => true);
    if (wrote) watcher.committing(event.queryRunner);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.isTransactionActive) commitWatcher()?.committed(event.queryRunner);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) commitWatcher()?.rolledBack(event.queryRunner);
  }
}
