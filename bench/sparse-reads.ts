/**
 * Reads of a few rows among a long history (migration SparseReadsIndexed), for the matching
 * bench's data: an agent's pending offers among its past ones (the push router counts them for
 * every candidate), a company's pending offers past their lapse (the router's window), a
 * company's tickets with an agent (its queue page, on every ticket event) and the agents who
 * worked its shifts (its agent search). Each is timed through its repository with the indexes,
 * then again in a transaction that drops them (rolled back): the baseline of the same run.
 */
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { OfferRoutingRepository } from '../src/modules/tickets/offer-routing.repository';
import { OffersRepository } from '../src/modules/tickets/offers.repository';
import { TicketsRepository } from '../src/modules/tickets/tickets.repository';
import { ShiftClaimViewsRepository } from '../src/modules/shifts/shift-claim-views.repository';
import { pct } from './support';

export const SPARSE_INDEXES = [
  'ix_offers_agent_pending',
  'ix_offers_company_pending',
  'ix_tickets_company_sparse_status',
  'ix_shift_claims_company_agent',
];

export interface SparseShape {
  companies: number;
  agents: number;
  liveAgents: number;
  /** Past offers of each live agent. */
  offersPerAgent: number;
  /** Days of past shifts, one a day for each company, 100 seats each. */
  days: number;
}

const uuid = (prefix: string, n: string) => `('${prefix}-' || lpad((${n})::text, 12, '0'))::uuid`;
const company = (n: string) => uuid('00000000-0000-4000-8000', n);
const agent = (n: string) => uuid('10000000-0000-4000-8000', n);
const ticket = (n: string) => uuid('20000000-0000-4000-8000', n);
const liveShift = (n: string) => uuid('30000000-0000-4000-8000', n);

/**
 * The history: each live agent's past offers on its company's tickets (declined, expired or
 * accepted), one pending offer for every tenth, and each company's past seats. The bench's
 * tickets are of company 1 + n % companies; so are its live agents' seats.
 */
export async function seedHistory(db: Client, s: SparseShape): Promise<void> {
  const { companies: c, liveAgents, offersPerAgent: k, days } = s;
  await db.query(`
    INSERT INTO offers (ticket_id, agent_id, company_id, shift_id, status, expires_at, created_at,
                        decided_at)
    SELECT ${ticket(`${c} * i + g % ${c}`)}, ${agent('g')}, ${company(`1 + g % ${c}`)},
           ${liveShift(`1 + g % ${c}`)}, (ARRAY['declined', 'expired', 'accepted'])[1 + i % 3],
           at + interval '30 seconds', at, at + interval '10 seconds'
      FROM generate_series(1, ${k}) i, generate_series(1, ${liveAgents}) g,
           LATERAL (SELECT now() - make_interval(mins => i * 7) AS at) x
     -- as time wrote them: an agent's offers among everyone's
     ORDER BY at, g`);
  // Pending ones on tickets no past offer names (one each).
  await db.query(`
    INSERT INTO offers (ticket_id, agent_id, company_id, shift_id, expires_at)
    SELECT ${ticket(`${c} * (${k} + 1 + g / 10) + g % ${c}`)}, ${agent('g')}, ${company(`1 + g % ${c}`)},
           ${liveShift(`1 + g % ${c}`)}, now() + interval '30 seconds'
      FROM generate_series(1, ${liveAgents}) g WHERE g % 10 = 0`);
  await db.query(`
    INSERT INTO shifts (id, company_id, starts_at, ends_at, seats, seats_taken, languages,
                        rate_amount_minor, rate_currency, status, completed_at)
    SELECT ${uuid('40000000-0000-4000-8000', `d * ${c} + co`)}, ${company('co')},
           day, day + interval '8 hours', 100, 100, '{}', 250, 'EUR', 'completed',
           day + interval '8 hours'
      FROM generate_series(1, ${days}) d, generate_series(1, ${c}) co,
           LATERAL (SELECT date_trunc('day', now()) - make_interval(days => d) AS day) x`);
  await db.query(`
    INSERT INTO shift_claims (shift_id, agent_id, company_id, period, status, check_in_deadline,
                              claimed_at, checked_in_at, completed_at)
    SELECT sh.id, ${agent(`1 + ((sh.n * 100 + j)::bigint * 7919) % ${s.agents}`)}, sh.company_id,
           tstzrange(sh.starts_at, sh.ends_at), 'completed', sh.starts_at, sh.starts_at,
           sh.starts_at, sh.ends_at
      FROM (SELECT id, company_id, starts_at, ends_at, row_number() OVER (ORDER BY id) AS n
              FROM shifts WHERE status = 'completed') sh,
           generate_series(1, 100) j
     ORDER BY sh.starts_at, sh.company_id, j`);
}

interface SparseRead {
  name: string;
  /** A few rows whatever the history (the goal's); else it grows with one company's history. */
  sparse: boolean;
  read: (em: EntityManager, i: number) => Promise<unknown>;
}

/** p95 of each read, with the indexes and without (dropped in a transaction rolled back). */
export async function measureSparseReads(
  app: INestApplicationContext,
  s: SparseShape,
  samples: number,
): Promise<{ name: string; sparse: boolean; withP95: number; withoutP95: number }[]> {
  const offers = app.get(OffersRepository);
  const routing = app.get(OfferRoutingRepository);
  const tickets = app.get(TicketsRepository);
  const seats = app.get(ShiftClaimViewsRepository);
  const pad = (prefix: string, n: number) => `${prefix}-${String(n).padStart(12, '0')}`;
  const companyOf = (i: number) => pad('00000000-0000-4000-8000', 1 + (i % s.companies));
  // The i-th sample's live agent, its company and its live shift (seedLive's numbering).
  const liveOf = (i: number) => 1 + (i % s.liveAgents);
  const agentOf = (i: number) => pad('10000000-0000-4000-8000', liveOf(i));
  const itsCompany = (i: number) => pad('00000000-0000-4000-8000', 1 + (liveOf(i) % s.companies));
  const itsShift = (i: number) => pad('30000000-0000-4000-8000', 1 + (liveOf(i) % s.companies));
  const reads: SparseRead[] = [
    {
      name: "an agent's pending offers",
      sparse: true,
      read: (em, i) => offers.pendingCount(em, agentOf(i)),
    },
    {
      name: "the router's window (pending past lapse)",
      sparse: true,
      read: (em, i) => routing.candidateWindow(em, agentOf(i), itsShift(i), itsCompany(i)),
    },
    {
      name: "a company's tickets with an agent",
      sparse: true,
      read: (em, i) =>
        tickets.pageOfCompany(em, {
          ...{ companyId: companyOf(i), status: 'claimed', sort: 'newest', limit: 21 },
          ...{ priority: null, from: null, to: null, afterAt: null, afterId: null },
        }),
    },
    {
      name: "a company's agents (its search)",
      sparse: false,
      read: (em, i) => seats.companyAgents(em, companyOf(i)),
    },
  ];
  const time = async (em: EntityManager, r: SparseRead) => {
    for (let i = 0; i < samples; i++) await r.read(em, i); // the same pages in cache for both
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await r.read(em, i);
      ms.push(performance.now() - t0);
    }
    return pct(ms, 95);
  };
  const db = app.get(DataSource);
  const withIndexes = new Map<string, number>();
  for (const r of reads) withIndexes.set(r.name, await time(db.manager, r));
  const without = new Map<string, number>();
  await db
    .transaction(async (em) => {
      for (const name of SPARSE_INDEXES) await em.query(`DROP INDEX ${name}`);
      for (const r of reads) without.set(r.name, await time(em, r));
      throw new RolledBack();
    })
    .catch((e: unknown) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  return reads.map((r) => ({
    name: r.name,
    sparse: r.sparse,
    withP95: withIndexes.get(r.name)!,
    withoutP95: without.get(r.name)!,
  }));
}

class RolledBack extends Error {}
