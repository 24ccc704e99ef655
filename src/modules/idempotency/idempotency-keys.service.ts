import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { DomainError } from '../../common/errors/domain-error';
import { IDEMPOTENCY_KEY_HEADER } from '../../common/http/idempotent';
import { Env } from '../../config/env.validation';
import { lostOutcomeAnswer } from './idempotency-answers';
import {
  IdempotencyKeysRepository,
  IdempotencyKeyRow,
  StoredResponse,
} from './idempotency-keys.repository';
import { mismatchOf, RequestFingerprint } from './idempotency-request';
import { CommitFate, CommitRecord } from './keyed-commits';

/** Timings of the key protocol; a provider so tests can shorten them. */
export interface IdempotencyTimings {
  /**
   * How long a running request holds its key before another may take it over (its owner is
   * then presumed dead). Renewed every `heartbeatMs` while the request runs.
   */
  leaseMs: number;
  heartbeatMs: number;
  /** How long a second request with the key waits for the first before 409 IN_USE. */
  waitMs: number;
  /** How often a waiting request looks again (from 20 ms, doubling up to this). */
  maxPollMs: number;
  /** Each process purges expired rows at most this often, when a keyed request comes. */
  purgeEveryMs: number;
}

export const IDEMPOTENCY_TIMINGS = Symbol('IDEMPOTENCY_TIMINGS');

export const DEFAULT_IDEMPOTENCY_TIMINGS: IdempotencyTimings = {
  leaseMs: 60_000,
  heartbeatMs: 20_000,
  waitMs: 10_000,
  maxPollMs: 250,
  purgeEveryMs: 60_000,
};

const PURGE_BATCH = 1000;
const unknownOutcome = (key: string) => lostOutcomeAnswer('unknown', key).answer;
/** How long a COMMIT in doubt may show as in progress before it counts as unknown. */
const FATE_WAIT_MS = 2_000;
const FATE_POLL_MS = 100;

/** The answer stored under a key, opened. */
export interface StoredAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** What a keyed request does: run (holding the key) or answer with the stored response. */
export type KeyClaim = { kind: 'run'; lease: Lease } | { kind: 'replay'; answer: StoredAnswer };

/** The key held by one running request. */
export interface Lease {
  scope: string;
  key: string;
  token: string;
  /** What the request's transactions committed (KeyedCommits). */
  commits: CommitRecord;
  stop(): void;
}

/**
 * Stripe's idempotency keys over PostgreSQL: the first request with a key takes it (a row in
 * state in_progress with a lease), runs, and stores its answer; a repeat is answered from the
 * row; a concurrent repeat waits for the answer (bounded). Answers are sealed at rest: they can
 * hold an API key shown once, or a customer's transcript.
 */
@Injectable()
export class IdempotencyKeysService {
  private readonly logger = new Logger(IdempotencyKeysService.name);
  private readonly box: SecretBox;
  private readonly ttlHours: number;
  private lastPurge = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly keys: IdempotencyKeysRepository,
    @Inject(IDEMPOTENCY_TIMINGS) private readonly timings: IdempotencyTimings,
    config: ConfigService<Env, true>,
  ) {
    this.ttlHours = config.get('IDEMPOTENCY_KEY_TTL_HOURS', { infer: true });
    this.box = SecretBox.fromEnv({
      SECRETS_ENCRYPTION_KEY: config.get('SECRETS_ENCRYPTION_KEY', { infer: true }),
      SECRETS_ENCRYPTION_KEY_PREVIOUS: config.get('SECRETS_ENCRYPTION_KEY_PREVIOUS', {
        infer: true,
      }),
    });
  }

  /**
   * Takes the key or finds its answer. A live row for another request is a 409 REUSED at once;
   * one still running is waited for, up to `waitMs`, then 409 IN_USE (retryable).
   */
  async claim(scope: string, key: string, fp: RequestFingerprint): Promise<KeyClaim> {
    this.purgeNowAndThen();
    const deadline = Date.now() + this.timings.waitMs;
    let pause = 20;
    // Taken over by the same path as stored: a row stored before paths were spelled as their
    // route is (or by a process of the release before) holds the path as it was sent.
    let asStored = fp;
    for (;;) {
      const token = randomUUID();
      const { leaseMs, waitMs } = this.timings;
      if (await this.keys.acquire(this.db, scope, key, asStored, token, leaseMs, this.ttlHours)) {
        return { kind: 'run', lease: this.hold(scope, key, token) };
      }
      const row = await this.keys.find(this.db, scope, key);
      if (row && mismatchOf(fingerprintOf(row), fp)) throw reused(key, fp, row);
      if (row) asStored = { ...fp, path: row.path };
      if (row?.state === 'completed') return { kind: 'replay', answer: this.open(scope, key, row) };
      // Its request saved something, then its process died or could not store an answer: not
      // run again, answered OUTCOME_UNKNOWN from now on (the next look finds it stored).
      if (row?.lease_expired && row.saved) {
        await this.keys.abandonSaved(
          this.db,
          scope,
          key,
          this.sealed(scope, key, unknownOutcome(key)),
        );
      }
      // Still running, or gone or free since (released, expired, its owner's lease ran out):
      // the next acquire takes a free key at once; a running one is waited for.
      if (Date.now() >= deadline) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_IN_USE',
          `A request with ${IDEMPOTENCY_KEY_HEADER} "${key}" is still running; retry shortly`,
          { idempotencyKey: key, waitedMs: waitMs, retryable: true },
        );
      }
      if (row && !row.lease_expired) {
        await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
        pause = Math.min(pause * 2, this.timings.maxPollMs);
      }
    }
  }

  /**
   * Stores the answer; the key now replays it until it expires. Tried again twice on a failure,
   * the lease still held: the work has committed. A key whose answer was never stored is taken
   * over when its lease runs out, for a retry to run the work again, unless its request saved
   * something in a transaction (saved_by_xid): that key answers OUTCOME_UNKNOWN instead.
   */
  async complete(lease: Lease, answer: StoredAnswer): Promise<void> {
    const values = this.sealed(lease.scope, lease.key, answer);
    let stored: boolean;
    for (let attempt = 1; ; attempt++) {
      try {
        stored = await this.keys.complete(this.db, lease.scope, lease.key, lease.token, values);
        break;
      } catch (err) {
        if (attempt === COMPLETE_ATTEMPTS) {
          lease.stop();
          throw err;
        }
        this.logger.warn({ err, attempt }, 'could not store an idempotent answer; trying again');
        await sleep(COMPLETE_RETRY_MS * attempt);
      }
    }
    lease.stop();
    if (!stored) {
      // Our lease ran out and another request took the key over: it will store its own answer.
      this.logger.warn(
        { scope: lease.scope, status: answer.status },
        'idempotency key was taken over before its answer was stored',
      );
    }
  }

  /**
   * How the transactions whose COMMIT was never answered ended, by id (PostgreSQL's
   * txid_status). One still in progress (the server finishing a COMMIT whose connection just
   * died) is asked about again for up to FATE_WAIT_MS; one PostgreSQL cannot tell (the database
   * unreachable now) is unknown.
   */
  async fatesOf(xids: string[]): Promise<Map<string, CommitFate>> {
    const fates = new Map<string, CommitFate>();
    const deadline = Date.now() + FATE_WAIT_MS;
    let asking = xids;
    while (asking.length > 0) {
      const statuses = await this.keys.transactionStatuses(this.db, asking).catch(() => null);
      if (!statuses) break;
      for (const xid of asking) {
        const status = statuses.get(xid);
        if (status === 'committed' || status === 'aborted') fates.set(xid, status);
      }
      asking = asking.filter((xid) => statuses.get(xid) === 'in progress');
      if (asking.length === 0 || Date.now() >= deadline) break;
      await sleep(FATE_POLL_MS);
    }
    for (const xid of xids) if (!fates.has(xid)) fates.set(xid, 'unknown');
    return fates;
  }

  /** Frees the key without storing anything (400s, 5xx): a retry runs afresh. */
  async release(lease: Lease): Promise<void> {
    lease.stop();
    await this.keys.release(this.db, lease.scope, lease.key, lease.token);
  }

  private sealed(scope: string, key: string, answer: StoredAnswer): StoredResponse {
    return {
      status: answer.status,
      sealedBody: this.box.seal(JSON.stringify(answer.body ?? null), context({ scope, key })),
      headers: answer.headers,
    };
  }

  private hold(scope: string, key: string, token: string): Lease {
    const timer = setInterval(() => {
      this.keys
        .extendLease(this.db, scope, key, token, this.timings.leaseMs)
        .catch((err: unknown) =>
          this.logger.warn({ err }, 'could not extend an idempotency lease'),
        );
    }, this.timings.heartbeatMs);
    timer.unref();
    const commits = new CommitRecord({ scope, key, token });
    return { scope, key, token, commits, stop: () => clearInterval(timer) };
  }

  private open(scope: string, key: string, row: IdempotencyKeyRow): StoredAnswer {
    const body: unknown = JSON.parse(this.box.open(row.response_body!, context({ scope, key })));
    return { status: row.response_status!, body, headers: row.response_headers ?? {} };
  }

  /** Expired rows count as absent already; deleting them only bounds the table's size. */
  private purgeNowAndThen(): void {
    if (Date.now() - this.lastPurge < this.timings.purgeEveryMs) return;
    this.lastPurge = Date.now();
    this.keys
      .purgeExpired(this.db, PURGE_BATCH)
      .then((n) => n > 0 && this.logger.debug({ purged: n }, 'expired idempotency keys purged'))
      .catch((err: unknown) => this.logger.warn({ err }, 'could not purge idempotency keys'));
  }
}

/** A sealed answer opens only on its own row. */
const context = (k: { scope: string; key: string }) => `idempotency_keys:${k.scope}:${k.key}`;

const fingerprintOf = (row: IdempotencyKeyRow): RequestFingerprint => ({
  method: row.method,
  route: row.route,
  path: row.path,
  requestHash: row.request_hash,
});

function reused(key: string, fp: RequestFingerprint, row: IdempotencyKeyRow): DomainError {
  const mismatch = mismatchOf(fingerprintOf(row), fp);
  return keyReused(key, mismatch === 'route' ? `${row.method} ${row.path}` : undefined);
}

/**
 * IDEMPOTENCY_KEY_REUSED: the key came with another request than its first (`route`, as
 * "METHOD /path", when that differs; else its body or its query did: they are hashed
 * together). Also for use cases that keep their own record of a key (a ledger entry keyed by it).
 */
export function keyReused(key: string, route?: string): DomainError {
  const what = route ?? 'a different request body or query';
  return new DomainError(
    'IDEMPOTENCY_KEY_REUSED',
    `${IDEMPOTENCY_KEY_HEADER} "${key}" was already used with ${what}; use a new key for a new request`,
    { idempotencyKey: key, mismatch: route ? 'route' : 'body' },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Tries at storing an answer, COMPLETE_RETRY_MS × the try apart. */
const COMPLETE_ATTEMPTS = 3;
const COMPLETE_RETRY_MS = 250;
