import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  DEFAULT_IDEMPOTENCY_TIMINGS,
  IDEMPOTENCY_TIMINGS,
  IdempotencyTimings,
} from '../src/modules/idempotency/idempotency-keys.service';
import { IdempotencyKeysRepository } from '../src/modules/idempotency/idempotency-keys.repository';
import { Client } from 'pg';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { ShiftsRepository } from '../src/modules/shifts/shifts.repository';
import {
  createApiKey,
  createStaff,
  registerAgent,
  registerCompany,
  SignedIn,
} from './support/factories';
import { shiftBody } from './support/shifts';
import { escalationBody, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitForLockWaiters } from './support/row-locks';
import { waitFor } from './support/wait-for';

const KEY = 'Idempotency-Key';
const REPLAYED = 'idempotent-replayed';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const newKey = () => `key-${randomUUID()}`;
const replayed = (res: Response) => res.headers[REPLAYED] === 'true';
/** What a client sees of an answer: its status and body. */
const answer = (res: Response) => ({ status: res.status, body: res.body as unknown });

describe('Idempotency-Key (Stripe semantics)', () => {
  let t: TestApp;
  // The test's own copy: single tests shorten the wait or force a purge, then restore it.
  const timings: IdempotencyTimings = { ...DEFAULT_IDEMPOTENCY_TIMINGS };
  let acme: SignedIn;
  beforeAll(async () => {
    t = await createTestApp({
      overrideProviders: [{ provide: IDEMPOTENCY_TIMINGS, useValue: timings }],
    });
    acme = await registerCompany(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => {
    Object.assign(timings, DEFAULT_IDEMPOTENCY_TIMINGS);
  });

  const postShift = (by: SignedIn, body: Record<string, unknown>, key?: string) => {
    const req = t.http.post('/v1/shifts').set(by.auth);
    return (key === undefined ? req : req.set(KEY, key)).send(body);
  };
  const shiftsTitled = async (title: string): Promise<string[]> =>
    (await t.db.query(`SELECT id FROM shifts WHERE title = $1 ORDER BY created_at`, [title])).map(
      (r: { id: string }) => r.id,
    );
  const keyRows = (key: string): Promise<{ state: string; scope: string }[]> =>
    t.db.query(`SELECT state, scope FROM idempotency_keys WHERE idempotency_key = $1`, [key]);

  describe('shifts', () => {
    it('replays the same POST: one shift, the same status and body, marked as a replay', async () => {
      const key = newKey();
      const body = shiftBody({ title: `replay ${key}` });
      const first = await postShift(acme, body, key).expect(201);
      expect(replayed(first)).toBe(false);
      const again = await postShift(acme, body, key).expect(201);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
      // The same JSON with its keys in another order is the same request.
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      const third = await postShift(acme, reordered, key).expect(201);
      expect(replayed(third)).toBe(true);
      expect(third.body).toEqual(first.body);
      expect(await shiftsTitled(body.title as string)).toEqual([first.body.id]);
      expect(await keyRows(key)).toEqual([{ state: 'completed', scope: `user:${acme.id}` }]);
    });

    it('stores the answer though its first try to store it fails: the retry replays it', async () => {
      const failing = jest
        .spyOn(t.app.get(IdempotencyKeysRepository), 'complete')
        .mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
      try {
        const key = newKey();
        const body = shiftBody({ title: `stored late ${key}` });
        const first = await postShift(acme, body, key).expect(201);
        const again = await postShift(acme, body, key).expect(201);
        expect(replayed(again)).toBe(true);
        expect(answer(again)).toEqual(answer(first));
        expect(await shiftsTitled(`stored late ${key}`)).toHaveLength(1);
        expect(failing).toHaveBeenCalledTimes(2);
      } finally {
        failing.mockRestore();
      }
    });

    it('changes nothing without the header: the same POST twice makes two shifts', async () => {
      const body = shiftBody({ title: `no key ${randomUUID()}` });
      const a = await postShift(acme, body).expect(201);
      const b = await postShift(acme, body).expect(201);
      expect(replayed(b)).toBe(false);
      expect(await shiftsTitled(body.title as string)).toEqual([a.body.id, b.body.id]);
    });

    it('refuses the key with another body or on another route: 409 naming the key', async () => {
      const key = newKey();
      const body = shiftBody({ title: `reuse ${key}` });
      await postShift(acme, body, key).expect(201);

      const other = await postShift(acme, { ...body, seats: 6 }, key).expect(409);
      expect(other.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { idempotencyKey: key, mismatch: 'body' },
      });
      expect(other.body.error.message).toContain(key);

      const elsewhere = await t.http
        .post('/v1/companies/me/api-keys')
        .set(acme.auth)
        .set(KEY, key)
        .send({ name: 'bot' })
        .expect(409);
      expect(elsewhere.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { idempotencyKey: key, mismatch: 'route' },
      });
      expect(elsewhere.body.error.message).toContain('POST /v1/shifts');
      expect(await shiftsTitled(body.title as string)).toHaveLength(1);
      const keys = await t.http.get('/v1/companies/me/api-keys').set(acme.auth).expect(200);
      expect(keys.body).toEqual([]);
    });

    it('keeps keys per caller: another company admin with the same key gets its own shift', async () => {
      const key = newKey();
      const body = shiftBody({ title: `scoped ${key}` });
      const mine = await postShift(acme, body, key).expect(201);
      const globex = await registerCompany(t, 'Globex');
      const theirs = await postShift(globex, body, key).expect(201);
      expect(replayed(theirs)).toBe(false);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.companyId).toBe(globex.companyId);
      expect((await keyRows(key)).map((r) => r.scope).sort()).toEqual(
        [`user:${acme.id}`, `user:${globex.id}`].sort(),
      );
    });

    it('forgets a key once it expired (IDEMPOTENCY_KEY_TTL_HOURS), and purges it', async () => {
      const key = newKey();
      const body = shiftBody({ title: `ttl ${key}` });
      const first = await postShift(acme, body, key).expect(201);
      const [kept] = await t.db.query(
        `SELECT extract(epoch FROM expires_at - created_at)::int AS seconds
           FROM idempotency_keys WHERE idempotency_key = $1`,
        [key],
      );
      expect(kept.seconds).toBe(t.env.IDEMPOTENCY_KEY_TTL_HOURS * 3600);

      await t.db.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second'
          WHERE idempotency_key = $1`,
        [key],
      );
      const later = await postShift(acme, body, key).expect(201);
      expect(replayed(later)).toBe(false);
      expect(later.body.id).not.toBe(first.body.id);
      expect(await shiftsTitled(body.title as string)).toHaveLength(2);

      // An expired row nobody reuses is deleted by the next keyed request's purge.
      await t.db.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second'
          WHERE idempotency_key = $1`,
        [key],
      );
      timings.purgeEveryMs = 0;
      await postShift(acme, shiftBody({ title: `purge ${key}` }), newKey()).expect(201);
      await waitFor(async () => (await keyRows(key)).length === 0, 'the expired key to be purged');
    });

    it('runs ten concurrent requests with one key once: one shift, ten identical answers', async () => {
      const key = newKey();
      const body = shiftBody({ title: `burst ${key}` });
      const all = await Promise.all(Array.from({ length: 10 }, () => postShift(acme, body, key)));
      expect(all.map((r) => r.status)).toEqual(Array(10).fill(201));
      for (const r of all) expect(answer(r)).toEqual(answer(all[0]));
      expect(all.filter(replayed)).toHaveLength(9);
      expect(await shiftsTitled(body.title as string)).toEqual([all[0].body.id]);
    });

    it('refuses an unusable header with 400 naming Idempotency-Key, and creates nothing', async () => {
      const title = `bad header ${randomUUID()}`;
      for (const bad of ['', 'x'.repeat(256), 'tab\there', 'caf\u00e9']) {
        const res = await postShift(acme, shiftBody({ title }), bad).expect(400);
        expect(res.body.error).toMatchObject({
          code: 'VALIDATION_FAILED',
          details: { fields: [{ field: 'Idempotency-Key' }] },
        });
      }
      expect(await shiftsTitled(title)).toEqual([]);
      await postShift(acme, shiftBody({ title }), 'k'.repeat(255)).expect(201);
    });

    it('keeps no validation failure: the same key then works with a corrected body', async () => {
      const key = newKey();
      const body = shiftBody({ title: `fixed ${key}` });
      const bad = await postShift(acme, { ...body, seats: 0 }, key).expect(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      expect(await keyRows(key)).toEqual([]);
      const fixed = await postShift(acme, body, key).expect(201);
      expect(replayed(fixed)).toBe(false);
      expect(await shiftsTitled(body.title as string)).toEqual([fixed.body.id]);
    });

    it('waits for a running request, then 409 IN_USE; a dead owner does not hold the key', async () => {
      const key = newKey();
      const body = shiftBody({ title: `lease ${key}` });
      await postShift(acme, body, key).expect(201);
      // As if the first request were still running, nothing saved yet (its owner renews a live
      // lease).
      await t.db.query(
        `UPDATE idempotency_keys
            SET state = 'in_progress', lease_token = gen_random_uuid(),
                locked_until = now() + interval '1 hour', response_status = NULL,
                response_body = NULL, response_headers = NULL, completed_at = NULL,
                saved_by_xid = NULL
          WHERE idempotency_key = $1`,
        [key],
      );
      timings.waitMs = 300;
      const busy = await postShift(acme, body, key).expect(409);
      expect(busy.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_IN_USE',
        details: { idempotencyKey: key, retryable: true },
      });
      expect(busy.headers['retry-after']).toBe('1');
      // Another body is refused at once, running or not.
      const other = await postShift(acme, { ...body, seats: 2 }, key).expect(409);
      expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

      // Its process died: the lease runs out and the next retry takes the key over, though the
      // row holds the path as sent (stored before paths were spelled as their route is).
      await t.db.query(
        `UPDATE idempotency_keys SET locked_until = now() - interval '1 second', path = '/V1/Shifts/'
          WHERE idempotency_key = $1`,
        [key],
      );
      const retried = await postShift(acme, body, key).expect(201);
      expect(replayed(retried)).toBe(false);
      const again = await postShift(acme, body, key).expect(201);
      expect(replayed(again)).toBe(true);
      expect(again.body.id).toBe(retried.body.id);
    });

    it('keeps the answer when the client hangs up while the request runs: the retry replays it', async () => {
      const key = newKey();
      const body = shiftBody({ title: `hang-up ${key}` });
      // Hold the request inside its use case: new shifts wait for this lock.
      const holder = t.db.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      try {
        await holder.query('LOCK TABLE shifts IN EXCLUSIVE MODE');
        const pending = postShift(acme, body, key);
        pending.end(() => undefined);
        await waitFor(async () => (await keyRows(key)).length === 1, 'the key taken');
        pending.abort();
        await holder.commitTransaction();
      } finally {
        if (holder.isTransactionActive) await holder.rollbackTransaction();
        await holder.release();
      }
      await waitFor(
        async () => (await keyRows(key))[0]?.state === 'completed',
        'the answer stored after the hang-up',
      );
      const retried = await postShift(acme, body, key).expect(201);
      expect(replayed(retried)).toBe(true);
      expect(await shiftsTitled(body.title as string)).toEqual([retried.body.id]);
    });

    it('rolls back a request that stalled past its lease once a retry took its key over: one shift', async () => {
      const key = newKey();
      const body = shiftBody({ title: `stalled ${key}` });
      // Hold both inside their use case, before they save: new shifts wait for this lock.
      const holder = t.db.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      let stalled: Promise<Response>;
      let retried: Promise<Response>;
      try {
        await holder.query('LOCK TABLE shifts IN EXCLUSIVE MODE');
        stalled = postShift(acme, body, key).then((r) => r);
        await waitForLockWaiters(t, 1, 'the first request at its INSERT');
        // Its process paused past the lease (its heartbeat with it): the lease runs out.
        await t.db.query(
          `UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
            WHERE idempotency_key = $1`,
          [key],
        );
        retried = postShift(acme, body, key).then((r) => r);
        await waitForLockWaiters(t, 2, 'the retry, which took the key over, at its INSERT');
        await holder.commitTransaction();
      } finally {
        if (holder.isTransactionActive) await holder.rollbackTransaction();
        await holder.release();
      }
      const [first, second] = await Promise.all([stalled!, retried!]);
      expect(second.status).toBe(201);
      // Was: 201 too, and a second shift.
      expect(first.status).toBe(409);
      expect(first.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_IN_USE',
        details: { idempotencyKey: key, retryable: true },
      });
      expect(first.headers['retry-after']).toBe('1');
      expect(await shiftsTitled(body.title as string)).toEqual([second.body.id]);
      // Sent again, it gets the answer of the retry that took it over.
      const again = await postShift(acme, body, key).expect(201);
      expect(replayed(again)).toBe(true);
      expect(again.body.id).toBe(second.body.id);
    });

    describe('a failure that lost the answer of a saved change', () => {
      const DEAD = 'Connection terminated unexpectedly';

      /** Posts under a key while `fault` is in place; the answer, and a retry's. */
      const postedThrough = async (fault: () => () => void, title: string) => {
        const key = newKey();
        const body = shiftBody({ title: `${title} ${key}` });
        const undo = fault();
        let first: Response;
        try {
          first = await postShift(acme, body, key);
        } finally {
          undo();
        }
        const retried = await postShift(acme, body, key);
        return { key, first, retried, shifts: await shiftsTitled(body.title as string) };
      };

      /**
       * Kills the connection of the transaction that runs a statement matching `statement`, for
       * real (pg_terminate_backend), at `when`: before that statement, before its COMMIT, or
       * once its COMMIT is done and before its answer is read.
       */
      const killAt = (statement: RegExp, when: 'insert' | 'commit' | 'after-commit') => () => {
        const query = PostgresQueryRunner.prototype.query;
        const posting = new WeakSet<object>();
        const kill = (runner: PostgresQueryRunner) =>
          t.db.query('SELECT pg_terminate_backend($1, 5000)', [
            (runner as unknown as { databaseConnection: { processID: number } }).databaseConnection
              .processID,
          ]);
        const spy = jest
          .spyOn(PostgresQueryRunner.prototype, 'query')
          .mockImplementation(async function (this: PostgresQueryRunner, sql, ...rest) {
            if (statement.test(sql)) {
              posting.add(this);
              if (when === 'insert') await kill(this);
            }
            if (sql === 'COMMIT' && posting.has(this)) {
              if (when === 'commit') await kill(this);
              if (when === 'after-commit') {
                await query.call(this, sql, ...rest);
                await kill(this);
                throw new Error(DEAD);
              }
            }
            return query.call(this, sql, ...rest);
          });
        return () => spy.mockRestore();
      };
      const killPosting = (when: 'insert' | 'commit' | 'after-commit') =>
        killAt(/^\s*INSERT INTO "?shifts"?[\s(]/, when);

      const expectKept = (first: Response, retried: Response, code: string) => {
        expect(first.status).toBe(409);
        expect(first.body.error.code).toBe(code);
        expect(first.headers['retry-after']).toBeUndefined();
        expect(replayed(retried)).toBe(true);
        expect(answer(retried)).toEqual({
          status: 409,
          body: { error: { ...first.body.error, requestId: expect.any(String) } },
        });
      };

      it('answers ANSWER_LOST when reading its answer failed after the shift was saved, and keeps it: one shift', async () => {
        const { key, first, retried, shifts } = await postedThrough(() => {
          const spy = jest
            .spyOn(t.app.get(ShiftsRepository), 'oneWithSkills')
            .mockRejectedValueOnce(new Error(DEAD));
          return () => spy.mockRestore();
        }, 'saved, answer lost');
        expect(first.body.error).toEqual({
          code: 'ANSWER_LOST',
          message: expect.stringContaining('was carried out, but a failure after it'),
          details: { idempotencyKey: key },
          requestId: expect.any(String),
        });
        // Was: 503 "nothing was changed", the key freed, and this retry posted a second shift.
        expectKept(first, retried, 'ANSWER_LOST');
        expect(shifts).toHaveLength(1);
      });

      it('asks PostgreSQL how a COMMIT whose connection died ended: committed, ANSWER_LOST and one shift', async () => {
        const { first, retried, shifts } = await postedThrough(
          killPosting('after-commit'),
          'commit unanswered',
        );
        expectKept(first, retried, 'ANSWER_LOST');
        expect(shifts).toHaveLength(1);
      });

      it('answers OUTCOME_UNKNOWN when PostgreSQL cannot be asked how that COMMIT ended, and keeps it', async () => {
        const asked = jest
          .spyOn(t.app.get(IdempotencyKeysRepository), 'transactionStatuses')
          .mockRejectedValue(new Error(DEAD));
        try {
          const { first, retried, shifts } = await postedThrough(
            killPosting('after-commit'),
            'commit unknown',
          );
          expectKept(first, retried, 'OUTCOME_UNKNOWN');
          expect(shifts).toHaveLength(1);
        } finally {
          asked.mockRestore();
        }
      });

      it('never runs again a request that saved and whose process stored no answer: once its lease ran out, OUTCOME_UNKNOWN', async () => {
        const key = newKey();
        const body = shiftBody({ title: `stored nowhere ${key}` });
        // The shift is posted; every try to store the answer fails (the process then dies).
        const storing = jest
          .spyOn(t.app.get(IdempotencyKeysRepository), 'complete')
          .mockRejectedValue(new Error(DEAD));
        try {
          await postShift(acme, body, key).expect(201);
        } finally {
          storing.mockRestore();
        }
        expect(await keyRows(key)).toEqual([{ state: 'in_progress', scope: `user:${acme.id}` }]);
        await t.db.query(
          `UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
            WHERE idempotency_key = $1`,
          [key],
        );
        // Was: the retry took the key over and posted a second shift.
        const retried = await postShift(acme, body, key).expect(409);
        expect(retried.body.error).toMatchObject({
          code: 'OUTCOME_UNKNOWN',
          details: { idempotencyKey: key },
        });
        const again = await postShift(acme, body, key).expect(409);
        expect(replayed(again)).toBe(true);
        expect(again.body.error.code).toBe('OUTCOME_UNKNOWN');
        expect(await shiftsTitled(body.title as string)).toHaveLength(1);
      });

      it('does not swallow a mark refused for another reason than a lost connection: rolled back, nothing posted', async () => {
        // A statement timeout or a cancel would have aborted the transaction, whose COMMIT
        // PostgreSQL answers with a silent ROLLBACK: the request must fail, not answer 201.
        const { first, retried, shifts } = await postedThrough(() => {
          const spy = jest
            .spyOn(t.app.get(IdempotencyKeysRepository), 'markSaving')
            .mockRejectedValueOnce(
              Object.assign(new Error('canceling statement due to statement timeout'), {
                code: '57014',
              }),
            );
          return () => spy.mockRestore();
        }, 'mark refused');
        expect(first.status).toBe(500);
        expect(retried.status).toBe(201);
        expect(shifts).toEqual([retried.body.id]);
      });

      it('frees the key when the connection died before the shift was saved: the retry posts it once', async () => {
        for (const when of ['insert', 'commit'] as const) {
          const { first, retried, shifts } = await postedThrough(
            killPosting(when),
            `nothing saved (${when})`,
          );
          expect(first.status).toBe(503);
          expect(first.body.error.code).toBe('SERVICE_UNAVAILABLE');
          expect(retried.status).toBe(201);
          expect(replayed(retried)).toBe(false);
          expect(shifts).toEqual([retried.body.id]);
        }
      });

      /**
       * Keyed writes that were one statement outside a transaction, not followed: a lost
       * answer freed the key, and the retry ran again (a skill: 409 SKILL_EXISTS; a waitlist
       * entry: 404; a reinstatement or a skill's retirement: over a change made since). Each
       * is a transaction now, its COMMIT's fate asked.
       */
      it.each([
        {
          name: 'a new skill',
          statement: /^\s*INSERT INTO "skills"/,
          send: async () => {
            const admin = await createStaff(t, 'admin');
            const code = `lost_${randomUUID().slice(0, 8)}`;
            return {
              send: (key: string) =>
                t.http.post('/v1/skills').set(admin.auth).set(KEY, key).send({ code, name: code }),
              saved: async () =>
                (await t.db.query('SELECT 1 FROM skills WHERE code = $1', [code])).length === 1,
            };
          },
        },
        {
          name: "a skill's retirement",
          statement: /^\s*UPDATE "skills"/,
          send: async () => {
            const admin = await createStaff(t, 'admin');
            const code = `gone_${randomUUID().slice(0, 8)}`;
            await t.http.post('/v1/skills').set(admin.auth).send({ code, name: code }).expect(201);
            return {
              send: (key: string) =>
                t.http.delete(`/v1/skills/${code}`).set(admin.auth).set(KEY, key),
              saved: async () =>
                (
                  await t.db.query(
                    'SELECT 1 FROM skills WHERE code = $1 AND retired_at IS NOT NULL',
                    [code],
                  )
                ).length === 1,
            };
          },
        },
        {
          name: "an agent's reinstatement",
          statement: /^\s*UPDATE agents a SET suspended_at = NULL/,
          send: async () => {
            const admin = await createStaff(t, 'admin');
            const agent = await registerAgent(t);
            await t.http
              .post(`/v1/agents/${agent.id}/suspend`)
              .set(admin.auth)
              .send({ reason: 'checking' })
              .expect(200);
            return {
              send: (key: string) =>
                t.http.post(`/v1/agents/${agent.id}/reinstate`).set(admin.auth).set(KEY, key),
              saved: async () =>
                (
                  await t.db.query(
                    'SELECT 1 FROM agents WHERE user_id = $1 AND suspended_at IS NULL',
                    [agent.id],
                  )
                ).length === 1,
            };
          },
        },
        {
          name: 'leaving a waitlist',
          statement: /^\s*DELETE FROM shift_waitlist WHERE shift_id/,
          send: async () => {
            const full = await postShift(acme, shiftBody({ title: 'full', seats: 1 })).expect(201);
            const [holder, waiting] = [await registerAgent(t), await registerAgent(t)];
            await t.http.post(`/v1/shifts/${full.body.id}/claims`).set(holder.auth).expect(201);
            await t.http.post(`/v1/shifts/${full.body.id}/waitlist`).set(waiting.auth).expect(201);
            return {
              send: (key: string) =>
                t.http
                  .delete(`/v1/shifts/${full.body.id}/waitlist`)
                  .set(waiting.auth)
                  .set(KEY, key),
              saved: async () =>
                (await t.db.query('SELECT 1 FROM shift_waitlist WHERE agent_id = $1', [waiting.id]))
                  .length === 0,
            };
          },
        },
      ])(
        'answers ANSWER_LOST for $name whose COMMIT answer was lost, and keeps it',
        async ({ statement, send: prepare }) => {
          const { send, saved } = await prepare();
          const key = newKey();
          const undo = killAt(statement, 'after-commit')();
          let first: Response;
          try {
            first = await send(key);
          } finally {
            undo();
          }
          // Was: 503, the key freed, and the retry ran again.
          expectKept(first, await send(key), 'ANSWER_LOST');
          expect(await saved()).toBe(true);
        },
      );
    });

    it('ignores the header on routes whose repeat does the same again', async () => {
      const key = newKey();
      const shift = await postShift(acme, shiftBody({ title: `edit ${key}` })).expect(201);
      const edit = () =>
        t.http
          .patch(`/v1/shifts/${shift.body.id}`)
          .set(acme.auth)
          .set(KEY, key)
          .send({ title: `edited ${key}` });
      await edit().expect(200);
      const second = await edit().expect(200);
      expect(replayed(second)).toBe(false);
      expect(await keyRows(key)).toEqual([]);
    });

    it("replays a state change retried with its key (a shift's cancel): its answer, not 409 for its own change", async () => {
      const key = newKey();
      const shift = await postShift(acme, shiftBody({ title: `cancel ${key}` })).expect(201);
      const cancel = (withKey = true) => {
        const req = t.http.post(`/v1/shifts/${shift.body.id}/cancel`).set(acme.auth);
        return (withKey ? req.set(KEY, key) : req).send({ reason: 'no longer needed' });
      };
      const first = await cancel().expect(200);
      const again = await cancel().expect(200);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
      expect((await cancel(false).expect(409)).body.error.code).toBe('SHIFT_CLOSED');
      // Spelled otherwise, the same request routed to the same place: its answer again (was 409
      // IDEMPOTENCY_KEY_REUSED, the path compared as sent).
      const spelled = await t.http
        .post(`/V1/Shifts/${shift.body.id}/cancel/`)
        .set(acme.auth)
        .set(KEY, key)
        .send({ reason: 'no longer needed' })
        .expect(200);
      expect(replayed(spelled)).toBe(true);
      expect(spelled.body).toEqual(first.body);
    });
  });

  describe('seat claims', () => {
    it('replays a retried claim (201, not 409 ALREADY_CLAIMED), bound to that shift', async () => {
      const agent = await registerAgent(t);
      // Two shifts days apart (a seat on one must not overlap the other).
      const onDay = (day: number) => {
        const start = new Date(Date.now() + (2 + day * 2) * 86_400_000);
        const end = new Date(start.getTime() + 4 * 3_600_000);
        return shiftBody({ startsAt: start.toISOString(), endsAt: end.toISOString() });
      };
      const shiftA = await postShift(acme, onDay(0)).expect(201);
      const shiftB = await postShift(acme, onDay(1)).expect(201);
      const claim = (shiftId: string, key?: string) => {
        const req = t.http.post(`/v1/shifts/${shiftId}/claims`).set(agent.auth);
        return key === undefined ? req : req.set(KEY, key);
      };
      const key = newKey();
      const first = await claim(shiftA.body.id, key).expect(201);
      const again = await claim(shiftA.body.id, key).expect(201);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
      expect((await claim(shiftA.body.id).expect(409)).body.error.code).toBe('ALREADY_CLAIMED');
      // The key belongs to the route with its ids: another shift is another request.
      const other = await claim(shiftB.body.id, key).expect(409);
      expect(other.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { mismatch: 'route' },
      });
      const [row] = await t.db.query(
        `SELECT method, route, path FROM idempotency_keys WHERE idempotency_key = $1`,
        [key],
      );
      expect(row).toEqual({
        method: 'POST',
        route: '/v1/shifts/:id/claims',
        path: `/v1/shifts/${shiftA.body.id}/claims`,
      });
    });
  });

  describe('escalations (bots)', () => {
    let botKey: string;
    beforeAll(async () => {
      botKey = await createApiKey(t, acme, 'intake');
    });
    const escalate = (apiKey: string, body: Record<string, unknown>, key?: string) => {
      const req = t.http.post('/v1/escalations').set(bearer(apiKey));
      return (key === undefined ? req : req.set(KEY, key)).send(body);
    };
    const ticketsOf = async (externalId: unknown): Promise<string[]> =>
      (await t.db.query(`SELECT id FROM tickets WHERE external_id = $1`, [externalId])).map(
        (r: { id: string }) => r.id,
      );

    it('runs ten concurrent escalations with one key once: ten identical 201s', async () => {
      const key = newKey();
      const body = escalationBody();
      const all = await Promise.all(Array.from({ length: 10 }, () => escalate(botKey, body, key)));
      // Without the key the externalId rule answers one 201 and nine 200s.
      expect(all.map((r) => r.status)).toEqual(Array(10).fill(201));
      for (const r of all) expect(answer(r)).toEqual(answer(all[0]));
      expect(all.filter(replayed)).toHaveLength(9);
      expect(await ticketsOf(body.externalId)).toEqual([all[0].body.id]);
    });

    it("keeps the externalId's own rules, with the header checked first", async () => {
      const body = escalationBody();
      const changed = { ...body, subject: 'Another subject' };
      // Without the header: 201, then 200 for the same payload, 409 for another.
      const noKey = await escalate(botKey, body).expect(201);
      await escalate(botKey, body).expect(200);
      const conflict = await escalate(botKey, changed).expect(409);
      expect(conflict.body.error.code).toBe('TICKET_EXTERNAL_ID_CONFLICT');

      // With keys: a fresh key meets the externalId rule (200 / 409) and is kept as such.
      const k1 = newKey();
      const same = await escalate(botKey, body, k1).expect(200);
      expect(same.body.id).toBe(noKey.body.id);
      const replay = await escalate(botKey, body, k1).expect(200);
      expect(replayed(replay)).toBe(true);
      const k2 = newKey();
      const refused = await escalate(botKey, changed, k2).expect(409);
      expect(refused.body.error.code).toBe('TICKET_EXTERNAL_ID_CONFLICT');
      // The key is checked first: k1 with another payload names the key, not the externalId.
      const reused = await escalate(botKey, changed, k1).expect(409);
      expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await ticketsOf(body.externalId)).toEqual([noKey.body.id]);
    });

    it("scopes a bot's keys to its company: any of its API keys, never another company's", async () => {
      const key = newKey();
      const body = escalationBody();
      const first = await escalate(botKey, body, key).expect(201);
      const otherKeyOfAcme = await createApiKey(t, acme, 'second bot');
      const viaOther = await escalate(otherKeyOfAcme, body, key).expect(201);
      expect(replayed(viaOther)).toBe(true);
      expect(viaOther.body).toEqual(first.body);

      const globex = await registerCompany(t, 'Globex');
      const globexBot = await createApiKey(t, globex);
      const theirs = await escalate(globexBot, body, key).expect(201);
      expect(replayed(theirs)).toBe(false);
      expect(theirs.body.companyId).toBe(globex.companyId);
      // And the company's admin (a person) has keys of its own.
      const admin = await postShift(acme, shiftBody({ title: `admin ${key}` }), key).expect(201);
      expect(replayed(admin)).toBe(false);
    });
  });

  describe('claim-next', () => {
    it('replays a claim (no second ticket taken), and a 204 as a 204', async () => {
      const initech = await registerCompany(t, 'Initech');
      const bot = await createApiKey(t, initech);
      const {
        agents: [agent],
      } = await liveAgents(t, initech.auth, 1);
      const claimNext = (key: string) =>
        t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).set(KEY, key);

      const empty = newKey();
      const none = await claimNext(empty).expect(204);
      expect(replayed(none)).toBe(false);
      await t.http.post('/v1/escalations').set(bearer(bot)).send(escalationBody()).expect(201);
      await t.http.post('/v1/escalations').set(bearer(bot)).send(escalationBody()).expect(201);
      // The key keeps its first answer, even now that a ticket waits (a new attempt, a new key).
      const stillNone = await claimNext(empty).expect(204);
      expect(replayed(stillNone)).toBe(true);

      const key = newKey();
      const first = await claimNext(key).expect(200);
      const again = await claimNext(key).expect(200);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM ticket_claims WHERE agent_id = $1`,
        [agent.id],
      );
      expect(n).toBe(1);
    });

    describe('a claim or a resolve whose answer was lost (one statement: the key is freed)', () => {
      const DEAD = 'Connection terminated unexpectedly';

      /** An agent on a live shift of a new company, with `waiting` tickets open for it. */
      const agentWithTickets = async (name: string, waiting: number) => {
        const co = await registerCompany(t, name);
        const bot = await createApiKey(t, co);
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1);
        for (let i = 0; i < waiting; i++) {
          await t.http.post('/v1/escalations').set(bearer(bot)).send(escalationBody()).expect(201);
        }
        const claimNext = (key: string) =>
          t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).set(KEY, key);
        const claims = (): Promise<{ ticket_id: string; status: string }[]> =>
          t.db.query(
            'SELECT ticket_id, status FROM ticket_claims WHERE agent_id = $1 ORDER BY claimed_at',
            [agent.id],
          );
        return { co, agent, claimNext, claims };
      };

      /**
       * Sends `send` while the connection of the prepared statement `statement` (claim_next_ticket,
       * resolve_ticket) is killed for real (pg_terminate_backend) once it has answered, and the
       * answer thrown away: the write committed, and the API never heard of it.
       */
      const answerLost = async (statement: string, send: () => Promise<Response>) => {
        type Query = (this: Client, q: unknown, ...rest: unknown[]) => Promise<unknown>;
        const query = Client.prototype.query as unknown as Query;
        const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(async function (
          this: Client,
          q: unknown,
          ...rest: unknown[]
        ) {
          if ((q as { name?: string })?.name !== statement) {
            return query.call(this, q, ...rest);
          }
          await query.call(this, q, ...rest);
          await t.db.query('SELECT pg_terminate_backend($1, 5000)', [
            (this as unknown as { processID: number }).processID,
          ]);
          throw new Error(DEAD);
        } as never);
        try {
          return await send();
        } finally {
          spy.mockRestore();
        }
      };
      const claimAnswerLost = (claimNext: (key: string) => Promise<Response>, key: string) =>
        answerLost('claim_next_ticket', () => claimNext(key));

      it('answers the retry with the ticket its key claimed, not a second one', async () => {
        const { claimNext, claims } = await agentWithTickets('Lost Claim Co', 2);
        const key = newKey();
        const first = await claimAnswerLost(claimNext, key);
        expect(first.status).toBe(503);
        const [claimed] = await claims();
        expect(claimed).toEqual({ ticket_id: expect.any(String), status: 'active' });

        const retried = await claimNext(key).expect(200);
        // Was: the key freed with the 503, and this retry claimed the other ticket too.
        expect(replayed(retried)).toBe(false);
        expect(retried.body).toMatchObject({ id: claimed.ticket_id, status: 'claimed' });
        expect(await claims()).toEqual([claimed]);
        // Its answer is kept now, as any other.
        expect(replayed(await claimNext(key).expect(200))).toBe(true);
        // A new key is a new claim-next: the other ticket.
        const next = await claimNext(newKey()).expect(200);
        expect(next.body.id).not.toBe(claimed.ticket_id);
      });

      /** An agent with two tickets waiting, whose claim-next under `key` lost its answer. */
      const claimedAnswerLost = async (name: string) => {
        const setup = await agentWithTickets(name, 2);
        const key = newKey();
        expect((await claimAnswerLost(setup.claimNext, key)).status).toBe(503);
        const [claimed] = await setup.claims();
        return { ...setup, key, claimed };
      };

      it('answers ANSWER_LOST when the ticket it claimed was given up since, and claims nothing', async () => {
        const { agent, claimNext, claims, key, claimed } = await claimedAnswerLost('Given Up Co');
        await t.http
          .post(`/v1/tickets/${claimed.ticket_id}/release`)
          .set(agent.auth)
          .send({ reason: 'not for me' })
          .expect(200);

        const retried = await claimNext(key).expect(409);
        expect(retried.body.error).toMatchObject({
          code: 'ANSWER_LOST',
          details: { idempotencyKey: key },
        });
        expect(await claims()).toEqual([{ ticket_id: claimed.ticket_id, status: 'released' }]);
      });

      it('answers the ticket resolved under that claim as it stands, resolved', async () => {
        const { agent, claimNext, claims, key, claimed } =
          await claimedAnswerLost('Resolved Since Co');
        await t.http
          .post(`/v1/tickets/${claimed.ticket_id}/resolve`)
          .set(agent.auth)
          .send({ resolutionSummary: 'Refunded' })
          .expect(200);
        const retried = await claimNext(key).expect(200);
        expect(retried.body).toMatchObject({ id: claimed.ticket_id, status: 'resolved' });
        expect(await claims()).toEqual([{ ticket_id: claimed.ticket_id, status: 'resolved' }]);
      });

      /** An agent's ticket whose resolve under `key` lost its answer; `resolve` sends it again. */
      const resolvedAnswerLost = async (name: string) => {
        const setup = await agentWithTickets(name, 1);
        const { id } = (await setup.claimNext(newKey()).expect(200)).body;
        const key = newKey();
        const resolve = () =>
          t.http
            .post(`/v1/tickets/${id}/resolve`)
            .set(setup.agent.auth)
            .set(KEY, key)
            .send({ resolutionSummary: 'Refunded' });
        expect((await answerLost('resolve_ticket', resolve)).status).toBe(503);
        return { ...setup, id: id as string, key, resolve };
      };

      it('answers a resolve retried after a reopen and a claim of it again ANSWER_LOST: the new claim not resolved', async () => {
        const { co, agent, claims, id, key, resolve } = await resolvedAnswerLost('Reopened Co');
        await t.http
          .post(`/v1/tickets/${id}/reopen`)
          .set(co.auth)
          .send({ reason: 'Still charged twice' })
          .expect(200);
        await t.http.post(`/v1/tickets/${id}/claim`).set(agent.auth).expect(200);

        const retried = await resolve().expect(409);
        // Was: 200, the new claim resolved with the old summary: the company's reopen undone,
        // and the ticket billed again for no new work.
        expect(retried.body.error).toMatchObject({
          code: 'ANSWER_LOST',
          details: { idempotencyKey: key },
        });
        expect(await claims()).toEqual([
          { ticket_id: id, status: 'resolved' },
          { ticket_id: id, status: 'active' },
        ]);
        // Resolved now, under a new key: the second claim's own work.
        await t.http
          .post(`/v1/tickets/${id}/resolve`)
          .set(agent.auth)
          .set(KEY, newKey())
          .send({ resolutionSummary: 'Refunded, really' })
          .expect(200);
      });

      it('answers a resolve retried with no reopen as before: the same summary, the same ticket', async () => {
        const { id, resolve } = await resolvedAnswerLost('Plain Retry Co');
        const retried = await resolve().expect(200);
        expect(retried.body).toMatchObject({ id, status: 'resolved' });
      });

      it('still resolves for a caller of the release before (seven arguments, no key)', async () => {
        const { agent, claimNext } = await agentWithTickets('Old Resolver Co', 1);
        const { id } = (await claimNext(newKey()).expect(200)).body;
        const [row] = await t.db.query(
          `SELECT outcome FROM resolve_ticket($1, $2, 'Refunded', NULL, NULL, NULL, 0)`,
          [id, agent.id],
        );
        expect(row).toEqual({ outcome: 'resolved' });
      });

      it('still claims for a caller of the release before (four arguments, no key)', async () => {
        const { agent, claims } = await agentWithTickets('Old Caller Co', 1);
        const [row] = await t.db.query(
          `SELECT claim_id, prior_claim FROM claim_next_ticket($1, make_interval(mins => 5),
                                                               '{8}', NULL)`,
          [agent.id],
        );
        expect(row).toEqual({ claim_id: expect.any(String), prior_claim: null });
        expect(await claims()).toEqual([{ ticket_id: expect.any(String), status: 'active' }]);
      });

      it('takes a key used again after its lifetime as a new claim-next', async () => {
        const { claimNext, claims } = await agentWithTickets('Old Key Co', 2);
        const key = newKey();
        const first = await claimNext(key).expect(200);
        // The key's lifetime (24 h) has passed: its row is purged, and its claim is older.
        await t.db.query('DELETE FROM idempotency_keys WHERE idempotency_key = $1', [key]);
        await t.db.query(
          `UPDATE ticket_claims SET claimed_at = claimed_at - interval '25 hours'
            WHERE ticket_id = $1`,
          [first.body.id],
        );
        const again = await claimNext(key).expect(200);
        expect(again.body.id).not.toBe(first.body.id);
        expect(await claims()).toHaveLength(2);
      });
    });
  });

  describe('transfer', () => {
    it('replays a transfer whose answer was lost, not 403 TICKET_NOT_CLAIMED_BY_YOU', async () => {
      const hooli = await registerCompany(t, 'Hooli');
      const bot = await createApiKey(t, hooli);
      const {
        agents: [agent],
      } = await liveAgents(t, hooli.auth, 1);
      await t.http.post('/v1/escalations').set(bearer(bot)).send(escalationBody()).expect(201);
      const held = await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth);
      const key = newKey();
      const transfer = () =>
        t.http
          .post(`/v1/tickets/${held.body.id}/transfer`)
          .set(agent.auth)
          .set(KEY, key)
          .send({ requiredSkills: [{ skill: 'refunds', minLevel: 5 }], note: 'for a specialist' });
      const first = await transfer().expect(200);
      const again = await transfer().expect(200);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
    });
  });

  describe('API keys', () => {
    it('replays a new API key, stored encrypted: the key never lies in clear', async () => {
      const key = newKey();
      const create = () =>
        t.http
          .post('/v1/companies/me/api-keys')
          .set(acme.auth)
          .set(KEY, key)
          .send({ name: 'replayed bot' });
      const first = await create().expect(201);
      const again = await create().expect(201);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
      const [row] = await t.db.query(
        `SELECT response_body FROM idempotency_keys WHERE idempotency_key = $1`,
        [key],
      );
      expect(row.response_body).toMatch(/^enc:v1:/);
      expect(row.response_body).not.toContain(first.body.key);
      const list = await t.http.get('/v1/companies/me/api-keys').set(acme.auth).expect(200);
      expect(list.body.filter((k: { name: string }) => k.name === 'replayed bot')).toHaveLength(1);
    });
  });

  describe('money', () => {
    let finance: SignedIn;
    let agent: SignedIn;
    beforeAll(async () => {
      finance = await createStaff(t, 'finance');
      agent = await registerAgent(t);
    });

    it("adjustments: the key replays; the reference's own rules still hold", async () => {
      const adjust = (body: Record<string, unknown>, key?: string) => {
        const req = t.http.post('/v1/ledger/adjustments').set(finance.auth);
        return (key === undefined ? req : req.set(KEY, key)).send(body);
      };
      const reference = `adj-${randomUUID()}`;
      const body = {
        reference,
        agentId: agent.id,
        amountMinor: 500,
        currency: 'EUR',
        reason: 'bonus',
      };
      const k1 = newKey();
      const first = await adjust(body, k1).expect(201);
      const replay = await adjust(body, k1).expect(201);
      expect(replayed(replay)).toBe(true);
      expect(replay.body).toEqual(first.body);
      // A new key meets the reference rule: 200 with the same adjustment, 409 for another body.
      const same = await adjust(body, newKey()).expect(200);
      expect(same.body.id).toBe(first.body.id);
      const conflict = await adjust({ ...body, amountMinor: 600 }, newKey()).expect(409);
      expect(conflict.body.error.code).toBe('ADJUSTMENT_REFERENCE_CONFLICT');
      const reused = await adjust({ ...body, amountMinor: 600 }, k1).expect(409);
      expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const rows = await t.db.query(`SELECT id FROM ledger_adjustments WHERE reference = $1`, [
        reference,
      ]);
      expect(rows).toHaveLength(1);
    });

    it("payout runs: a cancel retried with its key is answered as done, not 409 for the run's own state", async () => {
      const run = await t.http
        .post('/v1/payout-runs')
        .set(finance.auth)
        .send({ currency: 'CHF' })
        .expect(201);
      const key = newKey();
      const cancel = (withKey = true) => {
        const req = t.http.post(`/v1/payout-runs/${run.body.id}/cancel`).set(finance.auth);
        return withKey ? req.set(KEY, key) : req;
      };
      const first = await cancel().expect(200);
      expect(first.body.status).toBe('cancelled');
      const again = await cancel().expect(200);
      expect(replayed(again)).toBe(true);
      expect(again.body).toEqual(first.body);
      const bare = await cancel(false).expect(409);
      expect(bare.body.error.code).toBe('PAYOUT_RUN_STATE');
    });

    it("payout runs: a replay is not a second draft; a use case's 409 is kept and replayed", async () => {
      const draft = (key?: string) => {
        const req = t.http.post('/v1/payout-runs').set(finance.auth);
        return (key === undefined ? req : req.set(KEY, key)).send({ currency: 'GBP' });
      };
      const k1 = newKey();
      const first = await draft(k1).expect(201);
      const replay = await draft(k1).expect(201);
      expect(replayed(replay)).toBe(true);
      expect(replay.body).toEqual(first.body);
      // Without the key a second draft is refused: one open run per currency.
      const open = await draft().expect(409);
      expect(open.body.error.code).toBe('PAYOUT_RUN_OPEN');

      // That 409 is the outcome of a use case that ran: kept under its key, as Stripe does.
      const k2 = newKey();
      await draft(k2).expect(409);
      await t.http.post(`/v1/payout-runs/${first.body.id}/cancel`).set(finance.auth).expect(200);
      const kept = await draft(k2).expect(409);
      expect(replayed(kept)).toBe(true);
      expect(kept.body.error).toMatchObject({
        code: 'PAYOUT_RUN_OPEN',
        message: open.body.error.message,
      });
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM payout_runs WHERE currency = 'GBP'`,
      );
      expect(n).toBe(1);
    });
  });
});
