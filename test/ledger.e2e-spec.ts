import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import {
  ReleaseEarningHandler,
  TicketLedgerHandler,
} from '../src/modules/ledger/earnings-posting.handlers';
import { POSTING_LINES_SQL } from '../src/modules/ledger/journal.repository';
import { changedRows } from '../src/database/sql';
import { LedgerKeyConflict, LedgerService } from '../src/modules/ledger/ledger.service';
import { EarningsRepository } from '../src/modules/ledger/earnings.repository';
import { JournalRepository } from '../src/modules/ledger/journal.repository';
import { Actor } from '../src/common/auth/actor';
import { TicketEvent } from '../src/modules/jobs/job-registry';
import { TicketsService } from '../src/modules/tickets/tickets.service';
import { AdjustmentsService } from '../src/modules/ledger/adjustments.service';
import { createApiKey, createStaff, registerCompany, SignedIn } from './support/factories';
import { interleave } from './support/interleave';
import { walkPages } from './support/pages';
import { planOf } from './support/plans';
import { escalate, liveAgents, resolvedTicket } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { waitFor } from './support/wait-for';

describe('ledger', () => {
  let t: TestApp;
  let ledger: LedgerService;
  beforeAll(async () => {
    t = await createTestApp({ env: { PLATFORM_FEE_BPS: '1500', REOPEN_WINDOW_HOURS: '72' } });
    ledger = t.app.get(LedgerService);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Runs the ledger jobs the outbox holds for these tickets, as the worker would. */
  async function runLedgerJobs(ticketIds: string[], times = 1): Promise<void> {
    const rows: { payload: { type: 'ticket.resolved' | 'ticket.reopened'; event: TicketEvent } }[] =
      await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'ledger.ticket-event'
            AND payload->'event'->>'ticketId' = ANY($1) ORDER BY id`,
        [ticketIds],
      );
    for (let i = 0; i < times; i++) {
      for (const r of rows) await t.app.get(TicketLedgerHandler).handle(r.payload);
    }
  }

  /** The tickets' claims were reopened past the integrity report's grace: it checks them. */
  async function reopenedLongAgo(ticketIds: string[]): Promise<void> {
    await t.db.query(
      `UPDATE ticket_claims SET reopened_at = reopened_at - interval '20 minutes'
        WHERE ticket_id = ANY($1) AND reopened_at IS NOT NULL`,
      [ticketIds],
    );
  }

  /** The company reopens the ticket, and the ledger books the reversal (its jobs run twice). */
  async function reopenAndBook(co: SignedIn, ticketId: string): Promise<void> {
    await t.http
      .post(`/v1/tickets/${ticketId}/reopen`)
      .set(co.auth)
      .send({ reason: 'bad answer' })
      .expect(200);
    await runLedgerJobs([ticketId], 2);
  }

  /** The ledger job the outbox holds for a ticket's latest event of this type. */
  async function ledgerJob(ticketId: string, type: 'ticket.resolved' | 'ticket.reopened') {
    const [row]: { payload: { type: typeof type; event: TicketEvent } }[] = await t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'ledger.ticket-event'
          AND payload->'event'->>'ticketId' = $1 AND payload->>'type' = $2
        ORDER BY id DESC LIMIT 1`,
      [ticketId, type],
    );
    return row.payload;
  }

  const companyActor = (co: SignedIn): Actor => ({
    kind: 'user',
    role: 'company_admin',
    userId: co.id,
    companyId: co.companyId,
  });

  const owed = async (agentId: string, currency = 'EUR') => {
    const b = await ledger.balances(t.db.manager, agentId);
    const of = (code: string) =>
      0 - (b.find((x) => x.account === code && x.currency === currency)?.balance ?? 0);
    return { pending: of('agent_pending'), available: of('agent_available') };
  };

  describe('the database keeps the books honest', () => {
    const account = async (em: EntityManager, code: string, owner: string | null) => {
      const [a] = await em.query(
        `INSERT INTO ledger_accounts (code, owner_id, currency) VALUES ($1, $2, 'EUR')
         ON CONFLICT ON CONSTRAINT uq_ledger_accounts DO UPDATE SET code = EXCLUDED.code RETURNING id`,
        [code, owner],
      );
      return a.id as string;
    };

    it('finds each account of a posting through the index, not by reading every account', async () => {
      // 20,000 agents' accounts, as statistics see them.
      await t.db.query(
        `INSERT INTO ledger_accounts (code, owner_id, currency)
         SELECT 'agent_available', gen_random_uuid(), 'EUR' FROM generate_series(1, 20000)`,
      );
      await t.db.query('ANALYZE ledger_accounts');
      const [agent] = await t.db.query(
        `SELECT owner_id FROM ledger_accounts WHERE code = 'agent_available' LIMIT 1`,
      );
      // The service's own statement, planned for one agent line and one platform line.
      const plan: { 'QUERY PLAN': string }[] = await t.db.transaction(async (em) => {
        await em.query(`PREPARE posting_lines AS ${POSTING_LINES_SQL}`);
        const rows = await em.query(
          `EXPLAIN EXECUTE posting_lines(NULL, '{agent_available,platform_clearing}',
                                         '{${agent.owner_id},NULL}', '{100,-100}', 'EUR')`,
        );
        await em.query('DEALLOCATE posting_lines');
        return rows;
      });
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('Index Scan using uq_ledger_accounts');
      expect(text).not.toMatch(/Seq Scan on ledger_accounts/);
    });

    it('refuses an entry that does not balance, at commit', async () => {
      await expect(
        t.db.transaction(async (em) => {
          const fees = await account(em, 'platform_fees', null);
          const clearing = await account(em, 'platform_clearing', null);
          const [e] = await em.query(
            `INSERT INTO journal_entries (kind, idempotency_key) VALUES ('adjustment', $1) RETURNING id`,
            [randomUUID()],
          );
          await em.query(
            `INSERT INTO journal_lines (entry_id, account_id, amount_minor, currency) VALUES ($1, $2, 100, 'EUR'), ($1, $3, -99, 'EUR')`,
            [e.id, fees, clearing],
          );
        }),
      ).rejects.toThrow(/does not balance: EUR 1/);
    });

    it('books a key once: the same entry again answers the first, another under it fails the use case and writes nothing', async () => {
      const key = `test-key:${randomUUID()}`;
      const posting = (amountMinor: number, memo: string) => ({
        kind: 'adjustment' as const,
        idempotencyKey: key,
        currency: 'EUR',
        memo,
        lines: [
          { account: 'platform_refunds' as const, ownerId: null, amountMinor },
          { account: 'platform_cash' as const, ownerId: null, amountMinor: -amountMinor },
        ],
      });
      const first = await t.db.transaction((em) => ledger.post(em, posting(100, 'first')));
      expect(first.created).toBe(true);
      // A retry, worded from a later state: the same entry.
      const again = await t.db.transaction((em) => ledger.post(em, posting(100, 'retried')));
      expect(again).toEqual({ entryId: first.entryId, created: false });
      // Another amount under the key: before, answered as booked, and the 99 never moved.
      const marker = `marker:${randomUUID()}`;
      await expect(
        t.db.transaction(async (em) => {
          await ledger.post(em, { ...posting(1, 'marker'), idempotencyKey: marker });
          await ledger.post(em, posting(99, 'other'));
        }),
      ).rejects.toThrow(
        new RegExp(
          `Ledger key ${key} holds adjustment .*platform_refunds\\|\\|EUR\\|100.*asked to book adjustment .*platform_refunds\\|\\|EUR\\|99`,
        ),
      );
      expect(await ledger.posted(t.db.manager, marker)).toBeUndefined(); // rolled back whole
      await expect(
        t.db.transaction((em) => ledger.post(em, { ...posting(100, 'x'), kind: 'write_off' })),
      ).rejects.toThrow(LedgerKeyConflict);
    });

    it("creates a posting's new accounts in one order whatever its lines' order: no deadlock", async () => {
      const currency = 'XTS'; // ISO's code for tests: no account in it yet
      // Another first posting in the currency has made the cash account, not committed yet.
      const other = t.db.createQueryRunner();
      await other.connect();
      await other.startTransaction();
      try {
        await other.query(
          `INSERT INTO ledger_accounts (code, owner_id, currency) VALUES ('platform_cash', NULL, $1)`,
          [currency],
        );
        // This one names disputes first (as a dispute's reversal does): it waits at cash…
        const posting = t.db.transaction((em) =>
          ledger.post(em, {
            kind: 'adjustment',
            idempotencyKey: `order:${randomUUID()}`,
            currency,
            lines: [
              { account: 'platform_disputes', ownerId: null, amountMinor: 100 },
              { account: 'platform_cash', ownerId: null, amountMinor: -100 },
            ],
          }),
        );
        await waitForLockWaiters(t, 1, 'the posting waiting for the cash account');
        // …before taking disputes, which the other may still take: in the lines' order the
        // posting held it, and the other, taking it next, deadlocked with it.
        await other.query(`SET LOCAL lock_timeout = '500ms'`);
        await other.query(
          `INSERT INTO ledger_accounts (code, owner_id, currency) VALUES ('platform_disputes', NULL, $1)`,
          [currency],
        );
        await other.commitTransaction();
        await expect(posting).resolves.toMatchObject({ created: true });
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
    });

    it('refuses an entry with one line or none', async () => {
      await expect(
        t.db.transaction(async (em) => {
          const fees = await account(em, 'platform_fees', null);
          const [e] = await em.query(
            `INSERT INTO journal_entries (kind, idempotency_key) VALUES ('adjustment', $1) RETURNING id`,
            [randomUUID()],
          );
          await em.query(
            `INSERT INTO journal_lines (entry_id, account_id, amount_minor, currency) VALUES ($1, $2, 100, 'EUR')`,
            [e.id, fees],
          );
        }),
      ).rejects.toThrow(/at least 2/);
      await expect(
        t.db.query(
          `INSERT INTO journal_entries (kind, idempotency_key) VALUES ('adjustment', $1)`,
          [randomUUID()],
        ),
      ).rejects.toThrow(/has no lines/);
    });

    it('keeps an earning as booked: its amounts and parties fixed, its status only forward', async () => {
      const co = await registerCompany(t);
      const key = await createApiKey(t, co);
      const [agent] = (await liveAgents(t, co.auth, 1)).agents;
      const { id } = await resolvedTicket(t, key, agent);
      await runLedgerJobs([id]);
      // Release and reversal post the row's amounts: changed, they moved a wrong amount.
      for (const sql of [
        'UPDATE earnings SET amount_minor = amount_minor * 2 WHERE ticket_id = $1',
        'UPDATE earnings SET fee_minor = 0 WHERE ticket_id = $1',
        `UPDATE earnings SET currency = 'USD' WHERE ticket_id = $1`,
        'UPDATE earnings SET company_id = agent_id WHERE ticket_id = $1',
        'DELETE FROM earnings WHERE ticket_id = $1',
      ]) {
        await expect(t.db.query(sql, [id])).rejects.toThrow(/append-only/);
      }
      await expect(t.db.query('TRUNCATE earnings CASCADE')).rejects.toThrow(/append-only/);
      // Forward (pending to available) is allowed; back is not (the transaction rolls back).
      await expect(
        t.db.transaction(async (em) => {
          await em.query(`UPDATE earnings SET status = 'available' WHERE ticket_id = $1`, [id]);
          await em.query(`UPDATE earnings SET status = 'pending' WHERE ticket_id = $1`, [id]);
        }),
      ).rejects.toThrow(/append-only: UPDATE of the earning of claim .* \(available\)/);
      const [row] = await t.db.query(`SELECT status FROM earnings WHERE ticket_id = $1`, [id]);
      expect(row.status).toBe('pending');
    });

    it('refuses UPDATE, DELETE and TRUNCATE on entries and lines, accounts, and decided adjustments', async () => {
      const agent = (await liveAgents(t, (await registerCompany(t)).auth, 1)).agents[0];
      const finance = await createStaff(t, 'finance');
      await t.http
        .post('/v1/ledger/adjustments')
        .set(finance.auth)
        .send({
          reference: 'adj-goodwill-1',
          agentId: agent.id,
          amountMinor: 100,
          currency: 'EUR',
          reason: 'goodwill',
        })
        .expect(201);
      for (const sql of [
        'UPDATE journal_lines SET amount_minor = amount_minor * 2',
        'DELETE FROM journal_lines',
        `UPDATE journal_entries SET memo = 'rewritten'`,
        'DELETE FROM journal_entries',
        'TRUNCATE journal_lines CASCADE',
        // Another owner would take the account's balance with no entry.
        `UPDATE ledger_accounts SET owner_id = '${agent.id}'`,
        `UPDATE ledger_accounts SET currency = 'USD' WHERE owner_id IS NULL`,
        'DELETE FROM ledger_accounts',
        'TRUNCATE ledger_accounts CASCADE',
        // The posted adjustment's record must keep saying what its entry did.
        `UPDATE ledger_adjustments SET amount_minor = 1 WHERE reference = 'adj-goodwill-1'`,
        `UPDATE ledger_adjustments SET status = 'rejected' WHERE reference = 'adj-goodwill-1'`,
        `DELETE FROM ledger_adjustments WHERE reference = 'adj-goodwill-1'`,
        'TRUNCATE ledger_adjustments CASCADE',
      ]) {
        await expect(t.db.query(sql)).rejects.toThrow(/append-only/);
      }
      // A pending one is decided once; its request never changes.
      const checker = await createStaff(t, 'finance');
      const big = await t.http
        .post('/v1/ledger/adjustments')
        .set(finance.auth)
        .send({
          reference: 'adj-append-only-pending',
          agentId: agent.id,
          amountMinor: 1_000_000,
          currency: 'EUR',
          reason: 'large correction',
        })
        .expect(201);
      expect(big.body.status).toBe('pending');
      await expect(
        t.db.query(`UPDATE ledger_adjustments SET amount_minor = 1 WHERE id = $1`, [big.body.id]),
      ).rejects.toThrow(/append-only/);
      await t.http
        .post(`/v1/ledger/adjustments/${big.body.id}/reject`)
        .set(checker.auth)
        .send({ note: 'no evidence' })
        .expect(200);
      await expect(
        t.db.query(`UPDATE ledger_adjustments SET decision_note = 'later' WHERE id = $1`, [
          big.body.id,
        ]),
      ).rejects.toThrow(/append-only/);
    });
  });

  describe('earnings from tickets', () => {
    let co: SignedIn;
    let key: string;
    let finance: SignedIn;
    beforeAll(async () => {
      co = await registerCompany(t, 'Payer');
      key = await createApiKey(t, co);
      finance = await createStaff(t, 'finance');
    });

    async function resolved(agent: SignedIn, botKey = key) {
      const ticket = await escalate(t, botKey);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'done' })
        .expect(200);
      return ticket;
    }

    it('books a resolution once, however often the event arrives: agent pending, company rate + fee, platform fee', async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 1000, currency: 'EUR' } },
      );
      const ticket = await resolved(agent);
      await runLedgerJobs([ticket.id], 3);
      expect(await owed(agent.id)).toEqual({ pending: 1000, available: 0 });
      const company = await ledger.balances(t.db.manager, co.companyId!);
      expect(company).toEqual([{ account: 'company_receivable', currency: 'EUR', balance: 1150 }]);
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'earning' AND ticket_id = $1`,
        [ticket.id],
      );
      expect(n).toBe(1);
      const earnings = await t.http.get('/v1/agents/me/earnings').set(agent.auth).expect(200);
      expect(earnings.body.balances).toEqual([
        { currency: 'EUR', pending: 1000, available: 0, paid: 0 },
      ]);
      expect(earnings.body.lines[0]).toMatchObject({
        kind: 'earning',
        bucket: 'pending',
        amountMinor: 1000,
        ticketId: ticket.id,
      });
      // When it becomes available: the end of the reopen window, as the earning holds it.
      const [earning] = await t.db.query(
        `SELECT earned_at, available_at FROM earnings WHERE ticket_id = $1`,
        [ticket.id],
      );
      expect(earnings.body.lines[0].availableAt).toBe(earning.available_at.toISOString());
      // The window, and a millisecond past it (resolved_at's microseconds are lost in a Date).
      expect(earning.available_at.getTime() - earning.earned_at.getTime()).toBe(72 * 3_600_000 + 1);
    });

    it('reports a reopened claim whose earning was not reversed only after the grace, as its job may not have run yet, oldest reopen first', async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 800, currency: 'EUR' } },
      );
      const first = await resolved(agent);
      const second = await resolved(agent);
      await runLedgerJobs([first.id, second.id]);
      for (const ticket of [second, first])
        await t.http
          .post(`/v1/tickets/${ticket.id}/reopen`)
          .set(co.auth)
          .send({ reason: 'not solved' })
          .expect(200);
      // The reversals' jobs are queued, not run: nothing is wrong yet.
      const claimOf = async (ticketId: string) =>
        (
          await t.db.query('SELECT id, reopened_at FROM ticket_claims WHERE ticket_id = $1', [
            ticketId,
          ])
        )[0] as { id: string; reopened_at: Date };
      const ours = async () =>
        (
          await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200)
        ).body.reopenedClaimsNotReversed.filter((r: { agentId: string }) => r.agentId === agent.id);
      expect(await ours()).toEqual([]);
      // Long ago, the first ticket's reopen longer ago than the second's (reopened first above).
      await reopenedLongAgo([first.id, second.id]);
      await reopenedLongAgo([first.id]);
      const finding = async (ticketId: string) => {
        const claim = await claimOf(ticketId);
        return {
          claimId: claim.id,
          ticketId,
          agentId: agent.id,
          companyId: co.companyId,
          earningStatus: 'pending',
          amountMinor: 800,
          currency: 'EUR',
          reopenedAt: claim.reopened_at.toISOString(),
        };
      };
      expect(await ours()).toEqual([await finding(first.id), await finding(second.id)]);
      // Their jobs run at last: the findings go (and leave the books clean for the next tests).
      await runLedgerJobs([first.id, second.id]);
      expect(await ours()).toEqual([]);
    });

    it('finds reopened claims along their own index, not by reading every claim ever made', async () => {
      const plan = await planOf(t.db, (em) =>
        t.app.get(EarningsRepository).reopenedNotReversed(em, new Date(), 501),
      );
      expect(plan).toContain('ix_ticket_claims_reopened');
      // The reversed ones (nearly all) are set aside by the small index of reversed earnings.
      expect(plan).toContain('ix_earnings_reversed');
    });

    it('reports a resolution whose booking never happened, after the grace, and finance books it once; a reopened one never', async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 800, currency: 'EUR' } },
      );
      const lost = await resolved(agent);
      const reopened = await resolved(agent);
      await t.http
        .post(`/v1/tickets/${reopened.id}/reopen`)
        .set(co.auth)
        .send({ reason: 'not solved' })
        .expect(200);
      const ours = (body: { resolvedClaimsNotBooked: { agentId: string }[] }) =>
        body.resolvedClaimsNotBooked.filter((r) => r.agentId === agent.id);
      const check = async () =>
        (await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200)).body;
      // Within the grace its job may simply not have run yet (here nothing runs it).
      expect(ours(await check())).toEqual([]);
      // Resolved 20 minutes ago, and its job never booked it (failed for good, left the queue).
      await t.db.query(
        `UPDATE ticket_claims SET resolved_at = resolved_at - interval '20 minutes'
          WHERE ticket_id = ANY($1)`,
        [[lost.id, reopened.id]],
      );
      const [claim] = await t.db.query(
        `SELECT id, resolved_at FROM ticket_claims WHERE ticket_id = $1`,
        [lost.id],
      );
      const late = await check();
      expect(late.ok).toBe(false);
      expect(ours(late)).toEqual([
        {
          claimId: claim.id,
          ticketId: lost.id,
          agentId: agent.id,
          companyId: co.companyId,
          amountMinor: 800,
          currency: 'EUR',
          resolvedAt: claim.resolved_at.toISOString(),
        },
      ]);
      // Finance books it, twice at once: one earning.
      const [first, second] = await Promise.all([
        t.http.post('/v1/ledger/integrity/book-missing').set(finance.auth).expect(200),
        t.http.post('/v1/ledger/integrity/book-missing').set(finance.auth).expect(200),
      ]);
      expect(ours(first.body)).toEqual([]);
      expect(ours(second.body)).toEqual([]);
      expect(await owed(agent.id)).toEqual({ pending: 800, available: 0 });
      // Its job, retried late from the queue dashboard, books nothing more.
      await runLedgerJobs([lost.id]);
      expect(await owed(agent.id)).toEqual({ pending: 800, available: 0 });
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'earning' AND agent_id = $1`,
        [agent.id],
      );
      expect(n).toBe(1);
    });

    it('charges the platform fee fixed when the ticket was resolved, not the one configured when its booking runs', async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 1000, currency: 'EUR' } },
      );
      const [before, after, legacy] = [
        await resolved(agent),
        await resolved(agent),
        await resolved(agent),
      ];
      const feeOf = async (ticketId: string) =>
        (await t.db.query(`SELECT fee_bps FROM ticket_claims WHERE ticket_id = $1`, [ticketId]))[0]
          .fee_bps as number | null;
      expect(await feeOf(before.id)).toBe(1500); // this process's PLATFORM_FEE_BPS
      // Resolved when the fee was 10 % and 20 % (by a process configured so, before a change):
      // their bookings run now, under 15 %. One resolved before fees were fixed has none.
      const fix = (ticketId: string, bps: number | null) =>
        t.db.query(`UPDATE ticket_claims SET fee_bps = $2 WHERE ticket_id = $1`, [ticketId, bps]);
      await fix(before.id, 1000);
      await fix(after.id, 2000);
      await fix(legacy.id, null);
      await runLedgerJobs([before.id, after.id, legacy.id]);
      const fees = await t.db.query(
        `SELECT ticket_id, fee_minor::int AS fee FROM earnings WHERE ticket_id = ANY($1::uuid[])`,
        [[before.id, after.id, legacy.id]],
      );
      const feeFor = (ticketId: string) =>
        fees.find((f: { ticket_id: string }) => f.ticket_id === ticketId)?.fee;
      expect([feeFor(before.id), feeFor(after.id), feeFor(legacy.id)]).toEqual([100, 200, 150]);
    });

    it("shows the company the display name of the agent who worked each ticket, never the agent's email", async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 600, currency: 'EUR' } },
      );
      await t.http
        .put('/v1/agents/me/profile')
        .set(agent.auth)
        .send({ displayName: 'Sam Reyes', timeZone: 'UTC', languages: ['en'] })
        .expect(200);
      const ticket = await resolved(agent);
      await runLedgerJobs([ticket.id]);
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      const statement = await t.http
        .get(`/v1/companies/me/statement?from=${from}&to=${to}&limit=100`)
        .set(co.auth)
        .expect(200);
      const line = statement.body.lines.find((l: { ticketId: string }) => l.ticketId === ticket.id);
      expect(line).toMatchObject({ agentId: agent.id, agentDisplayName: 'Sam Reyes' });
      expect(Object.keys(line)).not.toContain('agentEmail');
      expect(JSON.stringify(statement.body)).not.toContain(agent.email);
    });

    it('claws back a reopen inside the window; the statement leaves it out', async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 800, currency: 'EUR' } },
      );
      const kept = await resolved(agent);
      const reopened = await resolved(agent);
      await runLedgerJobs([kept.id, reopened.id]);
      await reopenAndBook(co, reopened.id);
      expect(await owed(agent.id)).toEqual({ pending: 800, available: 0 });
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      const statement = await t.http
        .get(`/v1/companies/me/statement?from=${from}&to=${to}&limit=100`)
        .set(co.auth)
        .expect(200);
      const mine = statement.body.lines.filter((l: { agentId: string }) => l.agentId === agent.id);
      expect(mine.map((l: { status: string }) => l.status).sort()).toEqual(['pending', 'reversed']);
      expect(mine.find((l: { ticketId: string }) => l.ticketId === kept.id)).toMatchObject({
        rateMinor: 800,
        feeMinor: 120,
        totalMinor: 920,
      });
      const eur = statement.body.totals.find((x: { currency: string }) => x.currency === 'EUR');
      expect(eur.totalMinor).toBe(eur.rateMinor + eur.feeMinor);
      // The fee the statement charged is the one the company can read before posting a shift.
      const pricing = await t.http.get('/v1/companies/me/pricing').set(co.auth).expect(200);
      expect(pricing.body).toEqual({ platformFeeBps: 1500, feeRounding: 'half_up' });
      expect(Math.round((800 * pricing.body.platformFeeBps) / 10_000)).toBe(120);
      await t.http.get(`/v1/companies/me/statement?from=${to}&to=${from}`).set(co.auth).expect(400);
    });

    it("reads a month's statement in the company's time zone, the one its invoices close in", async () => {
      const { agent, ticket } = await bookedEarning();
      const before = await t.http.get('/v1/companies/me').set(co.auth).expect(200);
      await t.http
        .patch('/v1/companies/me')
        .set(co.auth)
        .send({ timeZone: 'America/New_York' })
        .expect(200);
      try {
        // 23:00 on 30 April in New York, 1 May in UTC.
        await t.db.query(`UPDATE earnings SET earned_at = $2 WHERE ticket_id = $1`, [
          ticket.id,
          '2030-05-01T03:00:00Z',
        ]);
        const month = async (m: string) =>
          (await t.http.get(`/v1/companies/me/statement?month=${m}`).set(co.auth).expect(200)).body;
        const april = await month('2030-04');
        // Midnight in New York, summer time (UTC-4).
        expect([april.from, april.to, april.timeZone]).toEqual([
          '2030-04-01T04:00:00.000Z',
          '2030-05-01T04:00:00.000Z',
          'America/New_York',
        ]);
        expect(april.lines.map((l: { ticketId: string }) => l.ticketId)).toContain(ticket.id);
        expect(april.totals).toEqual([
          expect.objectContaining({ currency: 'EUR', tickets: 1, rateMinor: 500 }),
        ]);
        const may = await month('2030-05');
        expect(may.lines.map((l: { agentId: string }) => l.agentId)).not.toContain(agent.id);
        // Winter: UTC-5.
        const january = await month('2030-01');
        expect(january.from).toBe('2030-01-01T05:00:00.000Z');
        for (const [query, fields] of [
          ['month=2030-13', ['month']],
          ['month=2030-4', ['month']],
          // Years PostgreSQL cannot hold in every zone (9999-12 ends in 10000 behind UTC), and
          // before 1970, as `from` and `to`: named, not the database's refusal. 1970-01 starts
          // in 1969 ahead of UTC: its `from`, sent back, was refused.
          ['month=0000-01', ['month']],
          ['month=1969-12', ['month']],
          ['month=1970-01', ['month']],
          ['month=9999-12', ['month']],
          ['month=2030-04&from=2030-04-01T00:00:00Z', ['month']],
          ['', ['from', 'to']],
          ['from=2030-04-01T00:00:00Z', ['to']],
        ] as const) {
          const res = await t.http
            .get(`/v1/companies/me/statement?${query}`)
            .set(co.auth)
            .expect(400);
          expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual(
            fields,
          );
        }
      } finally {
        await t.http
          .patch('/v1/companies/me')
          .set(co.auth)
          .send({ timeZone: before.body.timeZone })
          .expect(200);
      }
    });

    it('pages the statement by time of resolution, each line once, the totals of the whole period on the first page', async () => {
      const payer = await registerCompany(t, 'Busy payer');
      const payerKey = await createApiKey(t, payer);
      const onShift = async (amountMinor: number, currency: string) =>
        (await liveAgents(t, payer.auth, 1, {}, { ratePerTicket: { amountMinor, currency } }))
          .agents[0];
      const [eur, usd] = [await onShift(300, 'EUR'), await onShift(400, 'USD')];
      const tickets = [];
      for (let i = 0; i < 6; i++) tickets.push(await resolved(eur, payerKey));
      for (let i = 0; i < 2; i++) tickets.push(await resolved(usd, payerKey));
      await runLedgerJobs(tickets.map((x) => x.id));
      await reopenAndBook(payer, tickets[5].id); // listed as reversed, not owed
      // Two pairs resolved in one microsecond (only the claim's id orders each pair), one a
      // microsecond after a pair (the same millisecond), and one at `to`, outside the period.
      const times = [
        '2030-04-10T10:00:00.123456Z',
        '2030-04-10T10:00:00.123456Z',
        '2030-04-10T10:00:00.123457Z',
        '2030-04-02T08:00:00.000000Z',
        '2030-04-20T00:00:00.000000Z',
        '2030-04-20T00:00:00.000000Z',
        '2030-04-30T23:59:59.999999Z',
        '2030-05-01T00:00:00.000000Z',
      ];
      const claims: string[] = [];
      for (const [i, ticket] of tickets.entries()) {
        const [row] = await changedRows<{ claim_id: string }>(
          t.db,
          `UPDATE earnings SET earned_at = $2 WHERE ticket_id = $1 RETURNING claim_id`,
          [ticket.id, times[i]],
        );
        claims.push(row.claim_id);
      }
      const inOrder = claims
        .map((claim, i) => ({ claim, at: times[i] }))
        .slice(0, 7)
        // Times of one length, then ids: as PostgreSQL orders timestamps, then uuids.
        .sort((x, y) => (x.at + x.claim < y.at + y.claim ? -1 : 1))
        .map((x) => x.claim);
      type Page = {
        totals: { currency: string; tickets: number; rateMinor: number; feeMinor: number }[] | null;
        lines: {
          claimId: string;
          currency: string;
          rateMinor: number;
          feeMinor: number;
          status: string;
        }[];
        nextCursor: string | null;
      };
      const path = '/v1/companies/me/statement?from=2030-04-01T00:00:00Z&to=2030-05-01T00:00:00Z';
      for (const limit of [1, 3, 100]) {
        const pages = await walkPages<Page>(t, path, payer.auth, limit);
        const lines = pages.flatMap((p) => p.lines);
        expect(pages).toHaveLength(Math.ceil(7 / limit));
        // Every line once, none missing, in order, ties included.
        expect(lines.map((l) => l.claimId)).toEqual(inOrder);
        expect(lines.filter((l) => l.status === 'reversed').map((l) => l.claimId)).toEqual([
          claims[5],
        ]);
        // The first page's totals are the whole period's, whatever the page size: the sum of
        // every page's lines not reversed.
        const owed = lines.filter((l) => l.status !== 'reversed');
        const sumOf = (currency: string) => {
          const of = owed.filter((l) => l.currency === currency);
          const rateMinor = of.reduce((n, l) => n + l.rateMinor, 0);
          const feeMinor = of.reduce((n, l) => n + l.feeMinor, 0);
          return {
            currency,
            tickets: of.length,
            rateMinor,
            feeMinor,
            totalMinor: rateMinor + feeMinor,
          };
        };
        expect(pages[0].totals).toEqual(['EUR', 'USD'].map(sumOf));
        expect(pages[0].totals).toEqual([
          { currency: 'EUR', tickets: 5, rateMinor: 1500, feeMinor: 225, totalMinor: 1725 },
          { currency: 'USD', tickets: 1, rateMinor: 400, feeMinor: 60, totalMinor: 460 },
        ]);
        expect(pages.slice(1).map((p) => p.totals)).toEqual(pages.slice(1).map(() => null));
      }
    });

    it("reads the statement's first page and its totals from one snapshot", async () => {
      const payer = await registerCompany(t, 'Payer mid-resolve');
      const payerKey = await createApiKey(t, payer);
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        payer.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 500, currency: 'EUR' } },
      );
      const first = await resolved(agent, payerKey);
      await runLedgerJobs([first.id]);
      const earnings = t.app.get(EarningsRepository);
      const totalsOf = earnings.totalsOfCompany.bind(earnings);
      // Another resolution is booked after the lines are read and before the totals are.
      const between = jest
        .spyOn(earnings, 'totalsOfCompany')
        .mockImplementationOnce(async (...args) => {
          const next = await resolved(agent, payerKey);
          await runLedgerJobs([next.id]);
          return totalsOf(...args);
        });
      try {
        const from = new Date(Date.now() - 3_600_000).toISOString();
        const to = new Date(Date.now() + 3_600_000).toISOString();
        const { body } = await t.http
          .get(`/v1/companies/me/statement?from=${from}&to=${to}&limit=100`)
          .set(payer.auth)
          .expect(200);
        expect(between).toHaveBeenCalledTimes(1);
        expect(body.lines).toHaveLength(1);
        expect(body.totals).toEqual([
          expect.objectContaining({ currency: 'EUR', tickets: 1, rateMinor: 500 }),
        ]);
      } finally {
        between.mockRestore();
      }
    });

    it("reads an agent's balances, what was paid and the lines from one snapshot", async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 500, currency: 'EUR' } },
      );
      const first = await resolved(agent);
      await runLedgerJobs([first.id]);
      const journal = t.app.get(JournalRepository);
      const paidToAgent = journal.paidToAgent.bind(journal);
      // Another resolution is booked after the balances are read and before the lines are.
      const between = jest.spyOn(journal, 'paidToAgent').mockImplementationOnce(async (...args) => {
        const next = await resolved(agent);
        await runLedgerJobs([next.id]);
        return paidToAgent(...args);
      });
      try {
        const { body } = await t.http.get('/v1/agents/me/earnings').set(agent.auth).expect(200);
        expect(between).toHaveBeenCalledTimes(1);
        const pending = body.lines
          .filter((l: { bucket: string }) => l.bucket === 'pending')
          .reduce((sum: number, l: { amountMinor: number }) => sum + l.amountMinor, 0);
        expect(body.balances).toEqual([expect.objectContaining({ currency: 'EUR', pending })]);
        expect(body.lines).toHaveLength(1);
      } finally {
        between.mockRestore();
      }
    });

    it('refuses a bad cursor or limit on the statement, naming the field', async () => {
      const path = '/v1/companies/me/statement?month=2030-04';
      const cursor = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
      for (const [query, field] of [
        ['cursor=nope', 'cursor'],
        [`cursor=${cursor(['2030-04-10T10:00:00.123456Z'])}`, 'cursor'],
        [`cursor=${cursor(['2030-04-10T10:00:00.123456Z', 'not-a-claim'])}`, 'cursor'],
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['limit=ten', 'limit'],
      ]) {
        const res = await t.http.get(`${path}&${query}`).set(co.auth).expect(400);
        expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
          field,
        ]);
      }
      // The bounds themselves are pages.
      for (const limit of [1, 100]) {
        await t.http.get(`${path}&limit=${limit}`).set(co.auth).expect(200);
      }
    });

    /** An agent on a 500 EUR shift with one ticket resolved, its earning booked (pending). */
    async function bookedEarning() {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 500, currency: 'EUR' } },
      );
      const ticket = await resolved(agent);
      await runLedgerJobs([ticket.id]);
      const [{ claim_id: claimId }]: { claim_id: string }[] = await t.db.query(
        `SELECT claim_id FROM earnings WHERE ticket_id = $1`,
        [ticket.id],
      );
      return { agent, ticket, claimId };
    }
    /** The reopen window of the claim's earning ends now. */
    const windowEnds = (claimId: string) =>
      t.db.query(
        `UPDATE earnings SET available_at = now() - interval '1 second',
          earned_at = now() - interval '73 hours' WHERE claim_id = $1`,
        [claimId],
      );

    it('reports an earning still pending past its release, after the grace, and finance releases it once; a reopened one never', async () => {
      const lost = await bookedEarning();
      const reopened = await bookedEarning();
      await t.http
        .post(`/v1/tickets/${reopened.ticket.id}/reopen`)
        .set(co.auth)
        .send({ reason: 'not solved' })
        .expect(200);
      const ours = (body: { earningsNotReleased: { agentId: string; claimId: string }[] }) =>
        body.earningsNotReleased.filter((e) =>
          [lost.agent.id, reopened.agent.id].includes(e.agentId),
        );
      const check = async () =>
        (await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200)).body;
      // Inside their windows, and just past one (its timer may simply not have fired yet).
      expect(ours(await check())).toEqual([]);
      await windowEnds(lost.claimId);
      expect(ours(await check())).toEqual([]);
      // Due 20 minutes ago, never released: its timer was lost with Redis's data, or failed for
      // good and left the queue.
      const dueLongAgo = (claimId: string) =>
        t.db.query(
          `UPDATE earnings SET available_at = now() - interval '20 minutes',
                  earned_at = now() - interval '73 hours 20 minutes'
            WHERE claim_id = $1 RETURNING available_at`,
          [claimId],
        );
      const [[due]] = await dueLongAgo(lost.claimId);
      await dueLongAgo(reopened.claimId);
      const late = await check();
      expect(late.ok).toBe(false);
      // Oldest due first (the reopened one was moved a moment later).
      expect(ours(late)).toEqual([
        {
          claimId: lost.claimId,
          ticketId: lost.ticket.id,
          agentId: lost.agent.id,
          amountMinor: 500,
          currency: 'EUR',
          dueAt: due.available_at.toISOString(),
        },
        expect.objectContaining({ claimId: reopened.claimId }),
      ]);
      // Finance releases, twice at once: released once, and never the reopened claim's.
      const [first, second] = await Promise.all([
        t.http.post('/v1/ledger/integrity/book-missing').set(finance.auth).expect(200),
        t.http.post('/v1/ledger/integrity/book-missing').set(finance.auth).expect(200),
      ]);
      for (const res of [first, second]) {
        expect(ours(res.body).map((e) => e.claimId)).toEqual([reopened.claimId]);
      }
      expect(await owed(lost.agent.id)).toEqual({ pending: 0, available: 500 });
      expect(await owed(reopened.agent.id)).toEqual({ pending: 500, available: 0 });
      // The lost timer, fired late after all, releases nothing more.
      expect(await t.app.get(ReleaseEarningHandler).handle({ claimId: lost.claimId })).toEqual({
        released: false,
      });
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM journal_entries
          WHERE kind = 'earning_release' AND claim_id = $1`,
        [lost.claimId],
      );
      expect(n).toBe(1);
      // The reopened claim's reversal is booked at last: the money leaves pending, the finding goes.
      await runLedgerJobs([reopened.ticket.id]);
      expect(ours(await check())).toEqual([]);
      expect(await owed(reopened.agent.id)).toEqual({ pending: 0, available: 0 });
    });

    it('reports an agent whose pending balance is not the sum of its pending earnings', async () => {
      const { agent, claimId } = await bookedEarning();
      const mismatches = async () =>
        (
          await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200)
        ).body.pendingBalancesNotMatchingEarnings.filter(
          (r: { agentId: string }) => r.agentId === agent.id,
        );
      expect(await mismatches()).toEqual([]);
      // The earning marked available by hand, with no release posted: the 500 stays pending in
      // the ledger while no earning says so. (The database refuses such edits; not here.)
      const setStatus = (status: string) =>
        t.db.transaction(async (em) => {
          await em.query('SET LOCAL session_replication_role = replica');
          await em.query(`UPDATE earnings SET status = $2 WHERE claim_id = $1`, [claimId, status]);
        });
      await setStatus('available');
      expect(await mismatches()).toEqual([
        { agentId: agent.id, currency: 'EUR', ledgerPendingMinor: 500, earningsPendingMinor: 0 },
      ]);
      const report = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
      expect(report.body.ok).toBe(false);
      // Put back (the books stay clean for the next tests): the finding goes.
      await setStatus('pending');
      expect(await mismatches()).toEqual([]);
    });

    it('moves an earning to available when the window ends, once; early firings re-arm', async () => {
      const { agent, claimId } = await bookedEarning();
      const handler = t.app.get(ReleaseEarningHandler);
      expect(await handler.handle({ claimId: claimId })).toEqual({ released: false });
      const linesOf = async () =>
        (await t.http.get('/v1/agents/me/earnings').set(agent.auth).expect(200)).body.lines as {
          kind: string;
          bucket: string;
          availableAt: string | null;
        }[];
      expect((await linesOf()).map((l) => [l.kind, l.availableAt !== null])).toEqual([
        ['earning', true],
      ]);
      await windowEnds(claimId);
      expect(await handler.handle({ claimId: claimId })).toEqual({ released: true });
      expect(await handler.handle({ claimId: claimId })).toEqual({ released: false });
      expect(await owed(agent.id)).toEqual({ pending: 0, available: 500 });
      // Available now: no line waits for a date any more (the release's two legs included).
      expect((await linesOf()).map((l) => [l.kind, l.bucket, l.availableAt])).toEqual([
        ['earning_release', 'available', null],
        ['earning_release', 'pending', null],
        ['earning', 'pending', null],
      ]);
    });

    it('tells the agent each time its earning moves (booked, available, reversed), once each', async () => {
      const { agent, ticket, claimId } = await bookedEarning();
      await runLedgerJobs([ticket.id]); // a duplicate: booked already, no second event
      await windowEnds(claimId);
      const release = t.app.get(ReleaseEarningHandler);
      expect(await release.handle({ claimId })).toEqual({ released: true });
      await release.handle({ claimId });
      await reopenAndBook(co, ticket.id);
      const amount = { amountMinor: 500, currency: 'EUR' };
      const seen = await waitFor(async () => {
        const res = await t.http.get('/v1/events?limit=100').set(agent.auth).expect(200);
        const moves = (res.body.items as { type: string; data: unknown }[]).filter((e) =>
          e.type.startsWith('earning.'),
        );
        return moves.length >= 3 && moves;
      }, "the earning's three events");
      expect(seen).toEqual(
        ['earning.booked', 'earning.available', 'earning.reversed'].map((type) =>
          expect.objectContaining({ type, data: { claimId, ticketId: ticket.id, amount } }),
        ),
      );
      // The company and finance are not told: it is the agent's money.
      const companies = await t.http.get('/v1/events?limit=100').set(co.auth).expect(200);
      expect(companies.body.items.map((e: { type: string }) => e.type)).not.toContain(
        'earning.booked',
      );
    });

    it('waits for the reopen window as configured now when it was lengthened since the booking', async () => {
      const { agent, ticket, claimId } = await bookedEarning();
      // Booked when the window was an hour (or by a process with that value, mid-deploy); it is
      // 72 h now, and the tickets service allows a reopen for 72 h.
      await t.db.query(
        `UPDATE earnings SET available_at = earned_at + interval '1 hour' - interval '2 hours'
          WHERE claim_id = $1`,
        [claimId],
      );
      expect(await t.app.get(ReleaseEarningHandler).handle({ claimId })).toEqual({
        released: false,
      });
      const [rearmed] = await t.db.query(
        `SELECT (run_at - e.earned_at) > interval '71 hours 59 minutes' AS at_window_end
           FROM outbox o JOIN earnings e ON e.claim_id = $1::uuid
          WHERE o.job_name = 'ledger.release-earning' AND o.payload->>'claimId' = $1::text
          ORDER BY o.id DESC LIMIT 1`,
        [claimId],
      );
      expect(rearmed.at_window_end).toBe(true);
      // The agent is shown the date the release waits for, not the one booked.
      const [earning] = await t.db.query(`SELECT earned_at FROM earnings WHERE claim_id = $1`, [
        claimId,
      ]);
      const lines = (await t.http.get('/v1/agents/me/earnings').set(agent.auth).expect(200)).body
        .lines as { kind: string; availableAt: string | null }[];
      expect(lines.find((l) => l.kind === 'earning')?.availableAt).toBe(
        new Date(earning.earned_at.getTime() + 72 * 3_600_000 + 1).toISOString(),
      );
      await t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set(co.auth)
        .send({ reason: 'wrong refund amount' })
        .expect(200);
      await t.app.get(TicketLedgerHandler).handle(await ledgerJob(ticket.id, 'ticket.reopened'));
      // Taken back from pending: nothing had been released to be paid out.
      expect(await owed(agent.id)).toEqual({ pending: 0, available: 0 });
    });

    it('does not release the earning of a reopened ticket, however late its reversal runs', async () => {
      const { agent, ticket, claimId } = await bookedEarning();
      await t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set(co.auth)
        .send({ reason: 'bad answer' })
        .expect(200);
      // The window ends before the reversal job runs (a backlog, a retry): a payout in between
      // would pay out money the reversal is about to take back.
      await windowEnds(claimId);
      expect(await t.app.get(ReleaseEarningHandler).handle({ claimId })).toEqual({
        released: false,
      });
      expect(await owed(agent.id)).toEqual({ pending: 500, available: 0 });
      await t.app.get(TicketLedgerHandler).handle(await ledgerJob(ticket.id, 'ticket.reopened'));
      expect(await owed(agent.id)).toEqual({ pending: 0, available: 0 });
      const kinds = await t.db.query(
        `SELECT kind FROM journal_entries WHERE claim_id = $1 ORDER BY created_at`,
        [claimId],
      );
      expect(kinds.map((k: { kind: string }) => k.kind)).toEqual(['earning', 'earning_reversal']);
    });

    it('refuses a reopen whose window closed while it waited for the claim a release held', async () => {
      const short = await createTestApp({ shareWith: t, env: { REOPEN_WINDOW_HOURS: '0.001' } });
      try {
        const company = await registerCompany(short);
        const key = await createApiKey(short, company);
        const [agent] = (await liveAgents(short, company.auth, 1)).agents;
        const { id } = await resolvedTicket(short, key, agent);
        const [claim]: { id: string }[] = await t.db.query(
          `SELECT id FROM ticket_claims WHERE ticket_id = $1`,
          [id],
        );
        // As a release does: the claim held while it books, until past the window's end (3.6 s).
        const answer = await withRowsHeld(
          t,
          'SELECT 1 FROM ticket_claims WHERE id = $1 FOR NO KEY UPDATE',
          [claim.id],
          async (held) => {
            const reopen = short.http
              .post(`/v1/tickets/${id}/reopen`)
              .set(company.auth)
              .send({ reason: 'just in time' })
              .then((r) => r);
            await waitForLockWaiters(t, 1, 'the reopen waiting for the claim');
            await waitFor(
              async () => {
                const [row]: { closed: boolean }[] = await t.db.query(
                  `SELECT clock_timestamp() > resolved_at + interval '3.6 seconds' AS closed
                     FROM ticket_claims WHERE id = $1`,
                  [claim.id],
                );
                return row.closed;
              },
              'the window to close',
              10_000,
            );
            await held.commitTransaction();
            return reopen;
          },
        );
        expect(answer.status).toBe(409);
        expect(answer.body.error.code).toBe('REOPEN_WINDOW_CLOSED');
        const [after] = await t.db.query(`SELECT reopened_at FROM ticket_claims WHERE id = $1`, [
          claim.id,
        ]);
        expect(after.reopened_at).toBeNull();
      } finally {
        await short.close();
      }
    });

    /** The company's reopen, then the reversal job its event leads to, as one actor. */
    const reopenThenReverse = (ticketId: string) => async () => {
      await t.app.get(TicketsService).reopen(companyActor(co), ticketId, 'bad answer');
      await t.app.get(TicketLedgerHandler).handle(await ledgerJob(ticketId, 'ticket.reopened'));
    };

    it('keeps no earning after a reopen when the earn job read the claim before the reopen committed (the outside finding)', async () => {
      const {
        agents: [agent],
      } = await liveAgents(
        t,
        co.auth,
        1,
        {},
        { ratePerTicket: { amountMinor: 700, currency: 'EUR' } },
      );
      const ticket = await resolved(agent);
      const earn = await ledgerJob(ticket.id, 'ticket.resolved');
      // The earn job starts and reads the claim; the reopen commits and its reversal finds no
      // earning; then the earn job goes on and commits.
      const { outcomes, trace } = await interleave(
        t.db,
        {
          earn: () => t.app.get(TicketLedgerHandler).handle(earn),
          reopen: reopenThenReverse(ticket.id),
        },
        [0, 0, ...Array<number>(60).fill(1)],
      );
      expect(outcomes).toMatchObject({
        earn: { status: 'fulfilled' },
        reopen: { status: 'fulfilled' },
      });
      expect(trace.length).toBeGreaterThan(4);
      await reopenedLongAgo([ticket.id]);
      const report = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
      expect(report.body).toMatchObject({ ok: true, reopenedClaimsNotReversed: [] });
      expect(await owed(agent.id)).toEqual({ pending: 0, available: 0 });
    });
  });

  describe('adjustments', () => {
    let agent: SignedIn;
    let maker: SignedIn;
    let checker: SignedIn;
    beforeAll(async () => {
      agent = (await liveAgents(t, (await registerCompany(t)).auth, 1)).agents[0];
      maker = await createStaff(t, 'finance');
      checker = await createStaff(t, 'finance');
    });
    const adjust = (by: SignedIn, body: Record<string, unknown>) =>
      t.http.post('/v1/ledger/adjustments').set(by.auth).send(body);
    const body = (
      reference: string,
      amountMinor: number,
      reason = 'duplicate payment recovered',
    ) => ({
      reference,
      agentId: agent.id,
      amountMinor,
      currency: 'EUR',
      reason,
    });

    it('adjusts money in a currency no longer taken for new rates (ISK booked before): any ISO code', async () => {
      const res = await adjust(maker, {
        ...body('adj-isk-legacy', -100),
        currency: 'ISK',
      }).expect(201);
      expect(res.body).toMatchObject({ currency: 'ISK', amountMinor: -100 });
      const bad = await adjust(maker, { ...body('adj-bad-code', -100), currency: 'XYZ' }).expect(
        400,
      );
      expect(bad.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'currency',
      ]);
    });

    it('posts a small audited adjustment at once, which may leave an agent negative', async () => {
      const before = await owed(agent.id);
      const res = await adjust(maker, body('adj-2026-11-25-001', -700)).expect(201);
      expect(res.body).toMatchObject({
        reference: 'adj-2026-11-25-001',
        agentId: agent.id,
        // Finance sees who the agent is beside the id.
        agentDisplayName: 'Agent',
        agentEmail: agent.email,
        amountMinor: -700,
        reason: 'duplicate payment recovered',
        status: 'posted',
        createdBy: maker.id,
        decidedBy: null,
      });
      expect(res.body.entryId).toEqual(expect.any(String));
      expect(await owed(agent.id)).toEqual({ ...before, available: before.available - 700 });
      const list = await t.http
        .get(`/v1/ledger/adjustments?agentId=${agent.id}&status=posted`)
        .set(maker.auth)
        .expect(200);
      expect(list.body.items.map((a: { id: string }) => a.id)).toContain(res.body.id);
      expect(list.body.items[0]).toMatchObject({
        agentDisplayName: 'Agent',
        agentEmail: agent.email,
      });
      const one = await t.http.get(`/v1/ledger/adjustments/${res.body.id}`).set(maker.auth);
      expect(one.body).toMatchObject({ agentDisplayName: 'Agent', agentEmail: agent.email });
      const mine = await t.http.get('/v1/agents/me/earnings').set(agent.auth).expect(200);
      expect(mine.body.lines[0]).toMatchObject({
        kind: 'adjustment',
        amountMinor: -700,
        memo: 'duplicate payment recovered',
      });
      await adjust(maker, { ...body('adj-unknown-agent', -700), agentId: randomUUID() }).expect(
        404,
      );
      const trial = await t.http.get('/v1/ledger/trial-balance').set(maker.auth).expect(200);
      expect(trial.body.totals.every((x: { balanceMinor: number }) => x.balanceMinor === 0)).toBe(
        true,
      );
    });

    it('lists the agents who owe, most owed first, with the earnings pending beside the debt', async () => {
      const company = await registerCompany(t);
      const [deep, shallow, credited] = (await liveAgents(t, company.auth, 3)).agents;
      for (const [who, amountMinor, reference] of [
        [deep, -1200, 'adj-owing-deep'],
        [shallow, -300, 'adj-owing-shallow'],
        [credited, 1500, 'adj-owing-credited'],
      ] as const) {
        await adjust(maker, { ...body(reference, amountMinor), agentId: who.id }).expect(201);
      }
      // A resolution of the shallow one's, pending through its reopen window: beside the debt.
      const { id: ticketId } = await resolvedTicket(t, await createApiKey(t, company), shallow);
      await runLedgerJobs([ticketId]);
      const { pending } = await owed(shallow.id);
      expect(pending).toBeGreaterThan(0);
      const res = await t.http.get('/v1/ledger/agents-owing').set(maker.auth).expect(200);
      const ours = (res.body.items as { agentId: string }[]).filter((i) =>
        [deep.id, shallow.id, credited.id].includes(i.agentId),
      );
      expect(ours).toEqual([
        {
          agentId: deep.id,
          agentDisplayName: 'Agent',
          agentEmail: deep.email,
          currency: 'EUR',
          availableMinor: -1200,
          pendingMinor: 0,
        },
        expect.objectContaining({
          agentId: shallow.id,
          availableMinor: -300,
          pendingMinor: pending,
        }),
      ]);
      expect(res.body.truncated).toBe(false);
      const amounts = (res.body.items as { availableMinor: number }[]).map((i) => i.availableMinor);
      expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
      expect(amounts.every((a) => a < 0)).toBe(true);
      await t.http.get('/v1/ledger/agents-owing').set(deep.auth).expect(403);
    });

    it('posts a reference once, whoever sends it and however often: the same body answers the same adjustment, another body 409', async () => {
      const before = await owed(agent.id);
      const first = await adjust(maker, body('adj-2026-11-25-002', 450)).expect(201);
      // The same reference from another finance user, and twice at once: the same adjustment.
      const replays = await Promise.all([
        adjust(checker, body('adj-2026-11-25-002', 450)),
        adjust(maker, body('adj-2026-11-25-002', 450)),
      ]);
      for (const r of replays) expect(r.body.id).toBe(first.body.id);
      expect(replays.map((r) => r.status)).toEqual([200, 200]);
      expect(await owed(agent.id)).toEqual({ ...before, available: before.available + 450 });
      const other = await adjust(checker, body('adj-2026-11-25-002', 451)).expect(409);
      expect(other.body.error).toMatchObject({
        code: 'ADJUSTMENT_REFERENCE_CONFLICT',
        details: { reference: 'adj-2026-11-25-002', adjustmentId: first.body.id },
      });
      expect(other.body.error.message).toContain('adj-2026-11-25-002');
      // No reference, no adjustment.
      const noReference: Record<string, unknown> = body('x', 450);
      delete noReference.reference;
      const missing = await adjust(maker, noReference).expect(400);
      expect(missing.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'reference',
      ]);
      // Ten concurrent first sends of one new reference: one adjustment, one entry.
      const burst = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          adjust(i % 2 ? maker : checker, body('adj-2026-11-25-003', 90)),
        ),
      );
      expect(burst.map((r) => r.status).sort()).toEqual([
        200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
      ]);
      expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = $1`,
        [`adjustment:${burst[0].body.id}`],
      );
      expect(n).toBe(1);
    });

    it('holds a large adjustment pending until another finance user approves it; nothing moves before', async () => {
      const before = await owed(agent.id);
      const pending = await adjust(maker, body('adj-large-1', -25_000)).expect(201);
      expect(pending.body).toMatchObject({ status: 'pending', entryId: null });
      expect(Date.parse(pending.body.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
      expect(await owed(agent.id)).toEqual(before);
      const queue = await t.http
        .get('/v1/ledger/adjustments?status=pending')
        .set(checker.auth)
        .expect(200);
      expect(queue.body.items.map((a: { id: string }) => a.id)).toContain(pending.body.id);

      const url = `/v1/ledger/adjustments/${pending.body.id}`;
      const self = await t.http.post(`${url}/approve`).set(maker.auth).send({}).expect(403);
      expect(self.body.error.code).toBe('FORBIDDEN');
      await t.http.post(`${url}/cancel`).set(checker.auth).expect(403); // only its creator
      const approved = await t.http
        .post(`${url}/approve`)
        .set(checker.auth)
        .send({ note: 'checked the chargeback' })
        .expect(200);
      expect(approved.body).toMatchObject({
        status: 'posted',
        agentEmail: agent.email,
        decidedBy: checker.id,
        decisionNote: 'checked the chargeback',
      });
      expect(await owed(agent.id)).toEqual({ ...before, available: before.available - 25_000 });
      const twice = await t.http.post(`${url}/approve`).set(checker.auth).send({}).expect(409);
      expect(twice.body.error).toMatchObject({
        code: 'ADJUSTMENT_STATE',
        details: { status: 'posted' },
      });
      expect((await t.http.get(url).set(maker.auth).expect(200)).body.status).toBe('posted');
    });

    // The threshold was per adjustment: several just under it, to one agent, moved any amount
    // on one finance user's word.
    it('sends to approval the adjustment that takes what its maker moved for one agent alone in a day past the threshold, however many are sent at once', async () => {
      const fresh = async () => (await liveAgents(t, (await registerCompany(t)).auth, 1)).agents[0];
      const to = (a: SignedIn, reference: string, amountMinor: number, currency = 'EUR') => ({
        ...body(reference, amountMinor),
        agentId: a.id,
        currency,
      });
      const one = await fresh();
      const statuses = async (by: SignedIn, ...bodies: Record<string, unknown>[]) => {
        const out: string[] = [];
        for (const b of bodies) out.push((await adjust(by, b).expect(201)).body.status);
        return out;
      };
      // 6,000 and −3,000 post (9,000 moved); 1,500 more would make 10,500: it waits.
      expect(
        await statuses(
          maker,
          to(one, 'adj-split-1', 6000),
          to(one, 'adj-split-2', -3000),
          to(one, 'adj-split-3', 1500),
        ),
      ).toEqual(['posted', 'posted', 'pending']);
      // Another user's word, or another currency, is its own.
      expect(await statuses(checker, to(one, 'adj-split-4', 1500))).toEqual(['posted']);
      expect(await statuses(maker, to(one, 'adj-split-5', 1000, 'USD'))).toEqual(['posted']);
      // A pending one moved nothing, so 1,000 more still fits.
      expect(await statuses(maker, to(one, 'adj-split-6', 1000))).toEqual(['posted']);
      expect((await owed(one.id)).available).toBe(6000 - 3000 + 1500 + 1000);

      // Three at once, 4,000 each: summed one after the other, so the third waits.
      const two = await fresh();
      const burst = await Promise.all(
        [1, 2, 3].map((i) => adjust(maker, to(two, `adj-burst-${i}`, 4000)).expect(201)),
      );
      expect(burst.map((r) => r.body.status).sort()).toEqual(['pending', 'posted', 'posted']);
      expect((await owed(two.id)).available).toBe(8000);
    });

    it('lets another finance user reject, the creator cancel, and time expire a pending adjustment; none moves money', async () => {
      const before = await owed(agent.id);
      const rejected = await adjust(maker, body('adj-large-2', 30_000)).expect(201);
      await t.http
        .post(`/v1/ledger/adjustments/${rejected.body.id}/reject`)
        .set(maker.auth)
        .send({})
        .expect(403);
      const r = await t.http
        .post(`/v1/ledger/adjustments/${rejected.body.id}/reject`)
        .set(checker.auth)
        .send({ note: 'no evidence' })
        .expect(200);
      expect(r.body).toMatchObject({
        status: 'rejected',
        decidedBy: checker.id,
        agentEmail: agent.email,
      });

      const cancelled = await adjust(maker, body('adj-large-3', 30_000)).expect(201);
      const c = await t.http
        .post(`/v1/ledger/adjustments/${cancelled.body.id}/cancel`)
        .set(maker.auth)
        .expect(200);
      expect(c.body).toMatchObject({ status: 'cancelled', decidedBy: maker.id });
      await t.http
        .post(`/v1/ledger/adjustments/${cancelled.body.id}/approve`)
        .set(checker.auth)
        .send({})
        .expect(409);

      /** An adjustment whose 7 days ran out a second ago (by the database's clock). */
      const lapsedOne = async (reference: string) => {
        const created = await adjust(maker, body(reference, 30_000)).expect(201);
        await t.db.query(
          `UPDATE ledger_adjustments SET expires_at = now() - interval '1 second' WHERE id = $1`,
          [created.body.id],
        );
        return created.body.id as string;
      };
      const approveLapsed = async (id: string) => {
        const refused = await t.http
          .post(`/v1/ledger/adjustments/${id}/approve`)
          .set(checker.auth)
          .send({})
          .expect(409);
        expect(refused.body.error.details).toEqual({ status: 'expired' });
      };
      const lapsed = await lapsedOne('adj-large-4');
      await approveLapsed(lapsed);
      // Read as expired at once, not as waiting for approval until its job runs (days later).
      const read = await t.http.get(`/v1/ledger/adjustments/${lapsed}`).set(maker.auth);
      expect(read.body.status).toBe('expired');
      const listed = async (status: string) =>
        (
          await t.http.get(`/v1/ledger/adjustments?status=${status}&limit=100`).set(maker.auth)
        ).body.items.map((a: { id: string }) => a.id);
      expect(await listed('pending')).not.toContain(lapsed);
      expect(await listed('expired')).toContain(lapsed);
      // Its reference sent again answers it as it reads now.
      const replayed = await adjust(maker, body('adj-large-4', 30_000)).expect(200);
      expect(replayed.body).toMatchObject({ id: lapsed, status: 'expired' });
      // Lapsed by the database's clock, which set it: a process whose clock runs behind the
      // database's refuses it all the same.
      const behind = await lapsedOne('adj-behind');
      const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now() - 5_000);
      try {
        await approveLapsed(behind);
      } finally {
        clock.mockRestore();
      }
      // The expiry job (armed for 7 days later) records it.
      const [job] = await t.db.query(
        `SELECT payload, run_at FROM outbox WHERE job_name = 'ledger.adjustment-expire'
            AND payload->>'adjustmentId' = $1`,
        [lapsed],
      );
      expect(Date.parse(job.run_at) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
      expect(await t.app.get(AdjustmentsService).expire(lapsed)).toEqual({ expired: true });
      expect(await t.app.get(AdjustmentsService).expire(lapsed)).toEqual({
        expired: false,
      });
      const expired = await t.http.get(`/v1/ledger/adjustments/${lapsed}`).set(maker.auth);
      expect(expired.body.status).toBe('expired');
      // A job firing early re-arms instead of expiring.
      const early = await adjust(maker, body('adj-large-5', 30_000)).expect(201);
      expect(await t.app.get(AdjustmentsService).expire(early.body.id)).toEqual({ expired: false });
      expect(
        (await t.http.get(`/v1/ledger/adjustments/${early.body.id}`).set(maker.auth)).body.status,
      ).toBe('pending');
      expect(await owed(agent.id)).toEqual(before);
    });
  });

  describe('property: any sequence of resolves, duplicates, reopens, releases, adjustments and payouts', () => {
    it('leaves every balance equal to the model, each currency summing to zero and no reopened claim earning, however the jobs of a reopen interleave', async () => {
      const co = await registerCompany(t, 'Property');
      const { shiftId, agents } = await liveAgents(
        t,
        co.auth,
        3,
        {},
        { ratePerTicket: { amountMinor: 300, currency: 'EUR' } },
      );

      /** Resolved claims made directly in the database: the ledger is what is under test. */
      async function resolvedClaims(n: number) {
        const out: { claimId: string; ticketId: string; agent: SignedIn; amount: number }[] = [];
        for (let i = 0; i < n; i++) {
          const agent = agents[i % agents.length];
          const amount = 100 + ((i * 37) % 900);
          const [ticket] = await t.db.query(
            `INSERT INTO tickets (company_id, external_id, intake_hash, subject, summary, transcript, bot_attempts,
                                  language, priority, rank, claim_sla_seconds, sla_deadline, primary_skill,
                                  skill_codes, skill_levels, requested_levels, status, resolved_at)
             VALUES ($1, $2, 'x', 's', 's', '[]', '[]', 'en', 1, 1, 900, now(), '', '{}', '{}', '{}', 'resolved', now())
             RETURNING id`,
            [co.companyId, randomUUID()],
          );
          const [claim] = await t.db.query(
            `INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id, status, resolved_at, rate_amount_minor, rate_currency)
             VALUES ($1, $2, $3, $4, 'resolved', now(), $5, 'EUR') RETURNING id`,
            [ticket.id, agent.id, co.companyId, shiftId, amount],
          );
          out.push({ claimId: claim.id, ticketId: ticket.id, agent, amount });
        }
        return out;
      }

      const op = fc.oneof(
        fc.record({ op: fc.constant('resolve' as const), i: fc.nat(9) }),
        // The company's reopen and its reversal job, statement by statement against the earn
        // job (first delivery or a duplicate) and possibly the release job, in a generated order.
        fc.record({
          op: fc.constant('reopen' as const),
          i: fc.nat(9),
          release: fc.boolean(),
          choices: fc.array(fc.nat(3), { minLength: 60, maxLength: 60 }),
        }),
        fc.record({ op: fc.constant('release' as const), i: fc.nat(9) }),
        fc.record({
          op: fc.constant('adjust' as const),
          a: fc.nat(2),
          amount: fc.integer({ min: -2000, max: 2000 }).filter((x) => x !== 0),
        }),
        fc.record({ op: fc.constant('payout' as const), a: fc.nat(2) }),
      );

      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          const claims = await resolvedClaims(10);
          // A finance user per run: what one user may move for an agent in a day is bounded,
          // and the runs' adjustments would otherwise all wait after the first few runs.
          const finance = await createStaff(t, 'finance');
          const before = new Map<string, { pending: number; available: number }>();
          for (const a of agents) before.set(a.id, await owed(a.id));
          const model = new Map([...before.entries()].map(([k, v]) => [k, { ...v }]));
          const state = new Map<string, 'pending' | 'available' | 'reversed'>();
          const event = (c: (typeof claims)[number]): TicketEvent => ({
            eventId: randomUUID(),
            ticketId: c.ticketId,
            companyId: co.companyId!,
            externalId: 'x',
            agentId: c.agent.id,
            claimId: c.claimId,
            occurredAt: new Date().toISOString(),
            data: {},
          });
          for (const o of ops) {
            if (o.op === 'adjust') {
              const agent = agents[o.a];
              const made = await t.http
                .post('/v1/ledger/adjustments')
                .set(finance.auth)
                .send({
                  reference: `prop-${randomUUID()}`,
                  agentId: agent.id,
                  amountMinor: o.amount,
                  currency: 'EUR',
                  reason: 'property test',
                })
                .expect(201);
              // Past what one user may move for an agent in a day, it waits: nothing moves.
              if (made.body.status === 'posted') model.get(agent.id)!.available += o.amount;
              continue;
            }
            if (o.op === 'payout') {
              // What a paid payout line books: the whole available balance leaves for Stripe.
              const agent = agents[o.a];
              const m = model.get(agent.id)!;
              if (m.available <= 0) continue;
              await t.db.transaction((em) =>
                ledger.post(em, {
                  kind: 'payout',
                  idempotencyKey: `payout:${randomUUID()}`,
                  currency: 'EUR',
                  agentId: agent.id,
                  lines: [
                    { account: 'agent_available', ownerId: agent.id, amountMinor: m.available },
                    { account: 'platform_clearing', ownerId: null, amountMinor: -m.available },
                  ],
                }),
              );
              m.available = 0;
              continue;
            }
            const c = claims[o.i];
            const m = model.get(c.agent.id)!;
            const s = state.get(c.claimId);
            if (o.op === 'resolve') {
              await t.app
                .get(TicketLedgerHandler)
                .handle({ type: 'ticket.resolved', event: event(c) });
              if (!s) {
                state.set(c.claimId, 'pending');
                m.pending += c.amount;
              }
            } else if (o.op === 'reopen') {
              if (s === 'reversed') continue; // a reopened ticket is open, not resolved
              const { outcomes, trace } = await interleave(
                t.db,
                {
                  earn: async () => {
                    await t.app
                      .get(TicketLedgerHandler)
                      .handle({ type: 'ticket.resolved', event: event(c) });
                    if (!o.release) return;
                    await t.db.query(
                      `UPDATE earnings SET available_at = now() - interval '1 second',
          earned_at = now() - interval '73 hours' WHERE claim_id = $1`,
                      [c.claimId],
                    );
                    await t.app.get(ReleaseEarningHandler).handle({ claimId: c.claimId });
                  },
                  reopen: async () => {
                    await t.app
                      .get(TicketsService)
                      .reopen(companyActor(co), c.ticketId, 'property test');
                    await t.app
                      .get(TicketLedgerHandler)
                      .handle({ type: 'ticket.reopened', event: event(c) });
                  },
                },
                o.choices,
              );
              for (const [name, outcome] of Object.entries(outcomes)) {
                if (outcome.status === 'rejected') {
                  throw new Error(`${name} failed (${String(outcome.reason)}) after ${trace}`);
                }
              }
              // Whichever way they interleaved, a reopen leaves the claim earning nothing: an
              // earning booked before or during it is reversed, from wherever it then was.
              if (s === 'pending') m.pending -= c.amount;
              if (s === 'available') m.available -= c.amount;
              state.set(c.claimId, 'reversed');
            } else {
              await t.db.query(
                `UPDATE earnings SET available_at = now() - interval '1 second',
          earned_at = now() - interval '73 hours' WHERE claim_id = $1`,
                [c.claimId],
              );
              await t.app.get(ReleaseEarningHandler).handle({ claimId: c.claimId });
              if (s === 'pending') {
                m.pending -= c.amount;
                m.available += c.amount;
                state.set(c.claimId, 'available');
              }
            }
          }
          for (const a of agents) expect(await owed(a.id)).toEqual(model.get(a.id));
          const [{ unbalanced }] = await t.db.query(
            `SELECT count(*)::int AS unbalanced FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id, currency HAVING sum(amount_minor) <> 0) x`,
          );
          expect(unbalanced).toBe(0);
          const [{ total }] = await t.db.query(
            `SELECT coalesce(sum(amount_minor), 0)::bigint AS total FROM journal_lines WHERE currency = 'EUR'`,
          );
          expect(Number(total)).toBe(0);
          // This run's claims only, so a failing run cannot make the shrunk ones fail too.
          await reopenedLongAgo([...new Set(claims.map((c) => c.ticketId))]);
          const report = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
          const mine = new Set(claims.map((c) => c.claimId));
          expect(
            report.body.reopenedClaimsNotReversed.filter((r: { claimId: string }) =>
              mine.has(r.claimId),
            ),
          ).toEqual([]);
          expect(report.body.unbalancedCurrencies).toEqual([]);
          const agentIds = new Set(agents.map((a) => a.id));
          expect(
            report.body.pendingBalancesNotMatchingEarnings.filter((r: { agentId: string }) =>
              agentIds.has(r.agentId),
            ),
          ).toEqual([]);
        }),
        // A failure is reported as found, not shrunk: each shrinking step replays a run against
        // the database, and shrinking outlasted the test's timeout, hiding the failure itself.
        { numRuns: 25, endOnFailure: true },
      );
    });
  });
});
