/**
 * Webhook replay: N Stripe events (default 1,000) sent to our two endpoints
 * (/v1/stripe/connect-webhooks for account.updated, /v1/stripe/webhooks for transfer.reversed),
 * 32 in flight, in shuffled order, built as the mix Stripe really delivers:
 *  - distinct events: three account.updated per account with increasing `created` (shuffling
 *    makes older ones arrive after newer ones), and one transfer.reversed per paid payout line;
 *  - duplicates: an event delivered again, either the same bytes and signature (a network
 *    retransmission) or re-signed with a fresh timestamp (Stripe's own retry);
 *  - stale: correctly signed, but the signature timestamp is 10 min old (tolerance 300 s);
 *  - bad signatures: wrong secret, tampered body, the other endpoint's secret, no header.
 * Stale and bad events aim at accounts and transfers that nothing else touches (or carry the
 * newest `created`), so accepting one would show in the effects.
 *
 * Then, once every stored event is processed, it counts the effects in the database: each
 * reversed transfer booked exactly once (entry count and amount), each account in the state
 * of its newest event (stripe_state_at = that event's `created`), one stored event per id, no
 * trace of stale or bad events, trial balance zero. Any violation exits 1. Reports events/s
 * and p50/p99 of the endpoints per kind of event.
 *
 * Baseline, same run, before the API starts: the same deliveries in the same order, IN_FLIGHT
 * connections, doing only the work the endpoint must do, without HTTP: the signature check
 * (stripe-node, 300 s tolerance) and, for a valid event, one transaction inserting the event
 * row (ON CONFLICT DO NOTHING) and, when new, its outbox row. Its rows are deleted afterwards,
 * so the HTTP phase meets the same tables. `ratio` is HTTP deliveries/s vs the baseline's.
 *
 *   npm run bench:webhook-replay
 *   BENCH_EVENTS=5000 npm run bench:webhook-replay
 *
 * The API runs with its workers on (one process), pointed at a fake Stripe in this process
 * that holds each account's current state (account.updated handling reads it from Stripe).
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import Stripe from 'stripe';
import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import {
  apiClient,
  dropDatabase,
  freshDatabase,
  pct,
  REDIS_URL,
  seedUsers,
  startApi,
  table,
} from './support';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000);
const IN_FLIGHT = 32;
const DB = 'handoff_bench_webhook_replay';
const PREFIX = `bench-webhooks-${process.pid}`;
const SECRETS = { platform: 'whsec_benchplatform', connect: 'whsec_benchconnect' };
const PATHS = {
  platform: '/v1/stripe/webhooks',
  connect: '/v1/stripe/connect-webhooks',
} as const;
const STALE_SECONDS = 600; // twice Stripe's default 300 s tolerance
const TOLERANCE_SECONDS = 300; // StripeWebhooksController's
const CURRENCY = 'EUR';

type Kind = 'distinct' | 'duplicate' | 'stale' | 'bad';

/** One HTTP delivery: what is sent, and what it must do. */
interface Delivery {
  kind: Kind;
  variant: string;
  eventId: string;
  path: (typeof PATHS)[keyof typeof PATHS];
  payload: string;
  header: string | null;
  /** 200 for signed, fresh deliveries; 400 for stale and bad ones. */
  expect: 200 | 400;
}

interface Account {
  agentId: string;
  stripeId: string;
  /** Of the valid events only: the newest decides. */
  newestCreated: number;
  finalEnabled: boolean;
}

interface Transfer {
  agentId: string;
  lineId: string;
  transferId: string;
  amount: number;
  /** What Stripe reports reversed; 0 when only stale or bad events name this transfer. */
  reversed: number;
}

const sign = (payload: string, secret: string, timestamp?: number) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

const eventId = () => `evt_${randomBytes(12).toString('hex')}`;

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** The event body as Stripe sends it. */
function eventBody(type: string, object: object, created: number, account?: string) {
  return JSON.stringify({
    id: eventId(),
    object: 'event',
    api_version: '2026-10-28.endive',
    type,
    created,
    account,
    livemode: false,
    data: { object },
  });
}

function accountObject(id: string, enabled: boolean) {
  return {
    id,
    object: 'account',
    type: 'express',
    payouts_enabled: enabled,
    details_submitted: enabled,
    charges_enabled: enabled,
    capabilities: { transfers: enabled ? 'active' : 'inactive' },
    requirements: { currently_due: enabled ? [] : ['external_account'], disabled_reason: null },
  };
}

function transferObject(t: Transfer, amountReversed: number) {
  return {
    id: t.transferId,
    object: 'transfer',
    amount: t.amount,
    amount_reversed: amountReversed,
    currency: CURRENCY.toLowerCase(),
    destination: `acct_of_${t.agentId}`,
    metadata: { payoutLineId: t.lineId, agentId: t.agentId },
    reversed: amountReversed === t.amount,
  };
}

/** How many of each kind of delivery, for N events in all. */
function plan(total: number) {
  const accounts = Math.max(1, Math.round((total * 0.3) / 3));
  const reversals = Math.max(1, Math.round(total * 0.25));
  const stale = Math.max(2, Math.round(total * 0.1));
  const bad = Math.max(4, Math.round(total * 0.1));
  const duplicates = Math.max(1, total - accounts * 3 - reversals - stale - bad);
  return { accounts, reversals, stale, bad, duplicates };
}

/** Valid account.updated events: three per account, one minute apart; the newest is Stripe's state. */
function accountDeliveries(accounts: Account[], base: number): Delivery[] {
  const out: Delivery[] = [];
  for (const a of accounts) {
    for (let k = 0; k < 3; k++) {
      const created = base + k * 60;
      const enabled = k === 2 ? a.finalEnabled : Math.random() < 0.5;
      const payload = eventBody(
        'account.updated',
        accountObject(a.stripeId, enabled),
        created,
        a.stripeId,
      );
      out.push(signed('distinct', 'account.updated', payload, 'connect'));
      a.newestCreated = Math.max(a.newestCreated, created);
    }
  }
  return out;
}

/** A fresh, correctly signed delivery to the endpoint for its kind. */
function signed(kind: Kind, variant: string, payload: string, to: 'platform' | 'connect') {
  return {
    kind,
    variant,
    eventId: (JSON.parse(payload) as { id: string }).id,
    path: PATHS[to],
    payload,
    header: sign(payload, SECRETS[to]),
    expect: 200 as const,
  };
}

/** Valid transfer.reversed events: one per transfer, full or partial. */
function reversalDeliveries(transfers: Transfer[]): Delivery[] {
  return transfers.map((t) => {
    t.reversed = Math.random() < 0.5 ? t.amount : Math.floor(t.amount / 2);
    const payload = eventBody(
      'transfer.reversed',
      transferObject(t, t.reversed),
      Math.floor(Date.now() / 1000),
    );
    return signed('distinct', 'transfer.reversed', payload, 'platform');
  });
}

/** Stripe delivering an event again: same bytes, or re-signed with a new timestamp. */
function duplicateDeliveries(valid: Delivery[], count: number): Delivery[] {
  return Array.from({ length: count }, (_, i) => {
    const d = valid[Math.floor(Math.random() * valid.length)];
    const to = d.path === PATHS.platform ? 'platform' : 'connect';
    return i % 2 === 0
      ? { ...d, kind: 'duplicate' as const, variant: 'same bytes' }
      : { ...signed('duplicate', 're-signed', d.payload, to) };
  });
}

/**
 * Stale deliveries: signed correctly, ten minutes ago. Even slots reverse a transfer nothing
 * else touches; odd slots are account.updated events newer than any valid one (accepted, they
 * would move stripe_state_at).
 */
function staleDeliveries(
  count: number,
  accounts: Account[],
  untouched: Transfer[],
  base: number,
): Delivery[] {
  const at = Math.floor(Date.now() / 1000) - STALE_SECONDS;
  return Array.from({ length: count }, (_, i) => {
    const account = accounts[i % accounts.length].stripeId;
    const [payload, to] =
      i % 2 === 0
        ? [
            eventBody(
              'transfer.reversed',
              transferObject(untouched[i / 2], untouched[i / 2].amount),
              at,
            ),
            'platform' as const,
          ]
        : [
            eventBody('account.updated', accountObject(account, false), base + 3_600, account),
            'connect' as const,
          ];
    const event = JSON.parse(payload) as { id: string; type: string };
    return {
      kind: 'stale' as const,
      variant: event.type,
      eventId: event.id,
      path: PATHS[to],
      payload,
      header: sign(payload, SECRETS[to], at),
      expect: 400 as const,
    };
  });
}

/** Bad signatures, four ways, each on a reversal of a transfer nothing else touches. */
function badDeliveries(untouched: Transfer[]): Delivery[] {
  return untouched.map((t, i) => {
    const payload = eventBody(
      'transfer.reversed',
      transferObject(t, t.amount),
      Math.floor(Date.now() / 1000),
    );
    const base = {
      kind: 'bad' as const,
      eventId: JSON.parse(payload).id as string,
      expect: 400 as const,
    };
    switch (i % 4) {
      case 0:
        return {
          ...base,
          variant: 'wrong secret',
          path: PATHS.platform,
          payload,
          header: sign(payload, 'whsec_not_ours'),
        };
      case 1:
        // Signed, then the amount changed in transit.
        return {
          ...base,
          variant: 'tampered body',
          path: PATHS.platform,
          payload: payload.replace(
            `"amount_reversed":${t.amount}`,
            `"amount_reversed":${t.amount + 1}`,
          ),
          header: sign(payload, SECRETS.platform),
        };
      case 2:
        return {
          ...base,
          variant: 'other endpoint secret',
          path: PATHS.platform,
          payload,
          header: sign(payload, SECRETS.connect),
        };
      default:
        return { ...base, variant: 'no signature', path: PATHS.platform, payload, header: null };
    }
  });
}

/** Agents, payout accounts (not yet enabled), and paid lines of a completed run with their ledger entries. */
async function seed(db: Client, fake: FakeStripe, accountCount: number, transferCount: number) {
  const accounts: Account[] = Array.from({ length: accountCount }, () => ({
    agentId: randomUUID(),
    stripeId: `acct_${randomBytes(10).toString('hex')}`,
    newestCreated: 0,
    finalEnabled: Math.random() < 0.7,
  }));
  const transfers: Transfer[] = Array.from({ length: transferCount }, (_, i) => ({
    agentId: randomUUID(),
    lineId: randomUUID(),
    transferId: `tr_${randomBytes(12).toString('hex')}`,
    amount: 1_000 + ((i * 53) % 9_000),
    reversed: 0,
  }));
  // Stripe's current view: the state of the newest event (the handler reads it from here).
  for (const a of accounts) {
    fake.accounts.set(a.stripeId, { ...accountObject(a.stripeId, a.finalEnabled), metadata: {} });
  }
  const agents = [...accounts.map((a) => a.agentId), ...transfers.map((t) => t.agentId)];
  await seedUsers(db, agents, 'agent');
  await db.query(
    `INSERT INTO payout_accounts (agent_id, stripe_account_id) SELECT * FROM unnest($1::uuid[], $2::text[])`,
    [accounts.map((a) => a.agentId), accounts.map((a) => a.stripeId)],
  );
  await seedPaidLines(db, transfers);
  await db.query('VACUUM ANALYZE');
  return { accounts, transfers };
}

/**
 * A completed run whose lines are paid, booked as the payout handler books them: funding
 * (agent_available credited) then the payout (agent_available debited, platform_clearing
 * credited), one entry per agent and step, in one transaction (the balance triggers check
 * them at commit).
 */
async function seedPaidLines(db: Client, transfers: Transfer[]): Promise<void> {
  const finance = randomUUID();
  await seedUsers(db, [finance], 'finance');
  const [{ id: runId }] = (
    await db.query(
      `INSERT INTO payout_runs (currency, cutoff, status, created_by, executed_at, completed_at,
                                stripe_mode)
       VALUES ($1, now(), 'completed', $2, now(), now(), 'test') RETURNING id`,
      [CURRENCY, finance],
    )
  ).rows;
  const lines = transfers.map((t) => t.lineId);
  const agents = transfers.map((t) => t.agentId);
  const amounts = transfers.map((t) => t.amount);
  await db.query(
    `INSERT INTO payout_lines (id, run_id, agent_id, stripe_account_id, amount_minor,
                               transfer_minor, currency, status, idempotency_key,
                               stripe_transfer_id, attempts, paid_at)
     SELECT l, $5, a, 'acct_of_' || a, amt, amt, $6, 'paid', 'payout-line-' || l, tr, 1, now()
       FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[]) AS x(l, a, amt, tr)`,
    [lines, agents, amounts, transfers.map((t) => t.transferId), runId, CURRENCY],
  );
  await db.query('BEGIN');
  await db.query(
    `INSERT INTO ledger_accounts (code, owner_id, currency)
     SELECT c, NULL, $1 FROM unnest('{platform_adjustments,platform_clearing}'::text[]) c
     ON CONFLICT ON CONSTRAINT uq_ledger_accounts DO NOTHING`,
    [CURRENCY],
  );
  await db.query(
    `INSERT INTO ledger_accounts (code, owner_id, currency)
     SELECT 'agent_available', a, $2 FROM unnest($1::uuid[]) a`,
    [agents, CURRENCY],
  );
  // Each step: [kind, key prefix, platform account, sign of the agent line].
  for (const [kind, key, platform, agentSign] of [
    ['adjustment', 'bench-fund:', 'platform_adjustments', -1],
    ['payout', 'payout:', 'platform_clearing', 1],
  ] as const) {
    await postEntries(db, { kind, key, platform, agentSign }, lines, agents, amounts);
  }
  await db.query('COMMIT');
}

/** One two-line entry per payout line (inside the caller's transaction). */
async function postEntries(
  db: Client,
  step: { kind: string; key: string; platform: string; agentSign: number },
  lines: string[],
  agents: string[],
  amounts: number[],
): Promise<void> {
  await db.query(
    `CREATE TEMP TABLE bench_step ON COMMIT DROP AS
     SELECT gen_random_uuid() AS entry_id, l AS line_id, a AS agent_id, amt * $4::int AS amount
       FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS x(l, a, amt)`,
    [lines, agents, amounts, step.agentSign],
  );
  await db.query(
    `INSERT INTO journal_entries (id, kind, idempotency_key, agent_id, payout_line_id, memo)
     SELECT entry_id, $1, $2 || line_id, agent_id, CASE WHEN $1 = 'payout' THEN line_id END, 'bench'
       FROM bench_step`,
    [step.kind, step.key],
  );
  await db.query(
    `INSERT INTO journal_lines (entry_id, account_id, amount_minor, currency)
     SELECT s.entry_id, a.id, s.amount, $1 FROM bench_step s
       JOIN ledger_accounts a ON a.code = 'agent_available' AND a.owner_id = s.agent_id AND a.currency = $1
     UNION ALL
     SELECT s.entry_id, p.id, -s.amount, $1 FROM bench_step s
      CROSS JOIN (SELECT id FROM ledger_accounts WHERE code = $2 AND owner_id IS NULL AND currency = $1) p`,
    [CURRENCY, step.platform],
  );
  await db.query('DROP TABLE bench_step');
}

interface Answer {
  delivery: Delivery;
  status: number;
  duplicate: boolean | null;
  ms: number;
}

/** Sends every delivery, IN_FLIGHT at a time, in the given order. */
async function sendAll(
  base: string,
  deliveries: Delivery[],
): Promise<{ answers: Answer[]; seconds: number }> {
  const http = apiClient(base, IN_FLIGHT);
  for (let i = 0; i < 10; i++) await http.GET('/health');
  const answers: Answer[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++];
        const s = performance.now();
        const { data, response } = await http.POST(delivery.path, {
          // null (the unsigned deliveries) sends no header at all.
          params: { header: { 'stripe-signature': delivery.header as string } },
          // The bytes that were signed, as they are: the client must not serialise them again.
          body: delivery.payload as never,
          bodySerializer: (raw) => raw,
        });
        const ms = performance.now() - s;
        const duplicate = response.status === 200 ? (data?.duplicate ?? null) : null;
        answers.push({ delivery, status: response.status, duplicate, ms });
      }
    }),
  );
  return { answers, seconds: (performance.now() - t0) / 1000 };
}

// What StripeWebhooksController runs for a valid event, in one transaction (stripe_events'
// repository, then OutboxService.enqueue).
const INSERT_EVENT = `INSERT INTO stripe_events (id, type, account, created, payload)
  VALUES ($1, $2, $3, to_timestamp($4), $5) ON CONFLICT (id) DO NOTHING RETURNING id`;
const INSERT_OUTBOX = `INSERT INTO outbox (job_name, payload, run_at)
  VALUES ($1, $2, COALESCE($3, now())) RETURNING id`;

interface RawAnswer {
  delivery: Delivery;
  outcome: 'stored' | 'duplicate' | 'refused';
  ms: number;
}

/**
 * The baseline: each delivery's necessary work without HTTP or Nest, IN_FLIGHT connections, in
 * the same order: the signature check, then (valid) the event row and (new) its outbox row.
 */
async function rawPhase(
  url: string,
  deliveries: Delivery[],
): Promise<{ answers: RawAnswer[]; seconds: number }> {
  const stripe = new Stripe('sk_test_bench');
  const pool = Array.from({ length: IN_FLIGHT }, () => new Client({ connectionString: url }));
  await Promise.all(pool.map((c) => c.connect()));
  const answers: RawAnswer[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    pool.map(async (db) => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++];
        const s = performance.now();
        let event: Stripe.Event | null = null;
        try {
          event = stripe.webhooks.constructEvent(
            delivery.payload,
            delivery.header ?? '',
            delivery.path === PATHS.platform ? SECRETS.platform : SECRETS.connect,
            TOLERANCE_SECONDS,
          );
        } catch {
          // refused, as the endpoint answers 400
        }
        let outcome: RawAnswer['outcome'] = 'refused';
        if (event) {
          await db.query('BEGIN');
          const { rows } = await db.query(INSERT_EVENT, [
            event.id,
            event.type,
            event.account ?? null,
            event.created,
            JSON.stringify(event),
          ]);
          if (rows.length > 0) {
            await db.query(INSERT_OUTBOX, [
              'stripe.event',
              JSON.stringify({ eventId: event.id }),
              null,
            ]);
          }
          await db.query('COMMIT');
          outcome = rows.length > 0 ? 'stored' : 'duplicate';
        }
        answers.push({ delivery, outcome, ms: performance.now() - s });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(pool.map((c) => c.end()));
  return { answers, seconds };
}

/** Older account.updated events sent after a newer one of the same account (the shuffle's reordering). */
function reorderedCount(order: Delivery[]): number {
  const newest = new Map<string, number>();
  let reordered = 0;
  for (const d of order) {
    if (d.variant !== 'account.updated' || d.kind !== 'distinct') continue;
    const e = JSON.parse(d.payload) as { account: string; created: number };
    if ((newest.get(e.account) ?? 0) > e.created) reordered += 1;
    newest.set(e.account, Math.max(newest.get(e.account) ?? 0, e.created));
  }
  return reordered;
}

async function waitProcessed(db: Client): Promise<number> {
  const deadline = Date.now() + 120_000;
  const t0 = performance.now();
  for (;;) {
    const [{ left }] = (
      await db.query(`SELECT count(*)::int AS left FROM stripe_events WHERE processed_at IS NULL`)
    ).rows;
    if (left === 0) return (performance.now() - t0) / 1000;
    if (Date.now() > deadline) throw new Error(`${left} Stripe events still unprocessed`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Effects {
  storedEvents: number;
  refusedStored: number;
  firstAnswers: number;
  accountsNewest: number;
  reversalsBooked: number;
  reversalsExtra: number;
  untouchedBooked: number;
  trialBalance: number;
}

/** What the database shows, against what the deliveries should have done. */
async function effects(
  db: Client,
  answers: Answer[],
  accounts: Account[],
  reversed: Transfer[],
  untouched: Transfer[],
): Promise<Effects> {
  const validIds = new Set(
    answers.filter((a) => a.delivery.expect === 200).map((a) => a.delivery.eventId),
  );
  const refusedIds = answers
    .filter((a) => a.delivery.expect === 400)
    .map((a) => a.delivery.eventId);
  const firsts = new Map<string, number>();
  for (const a of answers) {
    if (a.duplicate === false)
      firsts.set(a.delivery.eventId, (firsts.get(a.delivery.eventId) ?? 0) + 1);
  }
  const q = async <T>(sql: string, params: unknown[] = []) =>
    (await db.query(sql, params)).rows as T[];
  const [{ stored }] = await q<{ stored: number }>(
    `SELECT count(*)::int AS stored FROM stripe_events`,
  );
  const [{ refusedStored }] = await q<{ refusedStored: number }>(
    `SELECT count(*)::int AS "refusedStored" FROM stripe_events WHERE id = ANY($1)`,
    [refusedIds],
  );
  const states = await q<{ sid: string; enabled: boolean; details: boolean; at: string | null }>(
    `SELECT stripe_account_id AS sid, payouts_enabled AS enabled, details_submitted AS details,
            extract(epoch FROM stripe_state_at)::bigint AS at FROM payout_accounts`,
  );
  const bySid = new Map(states.map((s) => [s.sid, s]));
  const accountsNewest = accounts.filter((a) => {
    const s = bySid.get(a.stripeId);
    return (
      s &&
      s.enabled === a.finalEnabled &&
      s.details === a.finalEnabled &&
      Number(s.at) === a.newestCreated
    );
  }).length;
  const booked = await q<{
    line: string;
    entries: number;
    agent_delta: string;
    reversed_minor: string;
  }>(
    `SELECT pl.id AS line, count(DISTINCT e.id)::int AS entries,
            coalesce(sum(l.amount_minor) FILTER (WHERE a.code = 'agent_available'), 0) AS agent_delta,
            pl.reversed_minor
       FROM payout_lines pl
       LEFT JOIN journal_entries e ON e.payout_line_id = pl.id AND e.kind = 'payout_reversal'
       LEFT JOIN journal_lines l ON l.entry_id = e.id
       LEFT JOIN ledger_accounts a ON a.id = l.account_id
      GROUP BY pl.id, pl.reversed_minor`,
  );
  const byLine = new Map(booked.map((b) => [b.line, b]));
  const exact = (t: Transfer, n: number) => {
    const b = byLine.get(t.lineId);
    return (
      !!b &&
      b.entries === n &&
      -Number(b.agent_delta) === t.reversed &&
      Number(b.reversed_minor) === t.reversed
    );
  };
  const [{ total }] = await q<{ total: string }>(
    `SELECT coalesce(sum(abs(s)), 0) AS total FROM (SELECT sum(amount_minor) AS s FROM journal_lines GROUP BY currency) x`,
  );
  return {
    storedEvents: stored === validIds.size ? stored : -stored,
    refusedStored,
    firstAnswers: [...validIds].filter((id) => firsts.get(id) === 1).length,
    accountsNewest,
    reversalsBooked: reversed.filter((t) => exact(t, 1)).length,
    reversalsExtra: booked.reduce((s, b) => s + Math.max(0, b.entries - 1), 0),
    untouchedBooked: untouched.filter((t) => !exact(t, 0)).length,
    trialBalance: Number(total),
  };
}

async function cleanRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const stream = redis.scanStream({ match: `${prefix}:*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.unlink(...keys);
  }
  await redis.quit();
}

function latencyRows(answers: Answer[]): (string | number)[][] {
  const groups = new Map<string, Answer[]>();
  for (const a of answers) {
    const key = `${a.delivery.kind}: ${a.delivery.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const row = (name: string, xs: Answer[]) => [
    name,
    xs.length,
    xs.filter((a) => a.status === 200).length,
    xs.filter((a) => a.status === 400).length,
    xs.filter((a) => a.status !== a.delivery.expect).length,
    pct(
      xs.map((a) => a.ms),
      50,
    ).toFixed(1),
    pct(
      xs.map((a) => a.ms),
      99,
    ).toFixed(1),
  ];
  return [...[...groups.entries()].sort().map(([k, xs]) => row(k, xs)), row('all', answers)];
}

async function main() {
  const n = plan(EVENTS);
  console.log(
    `webhook replay: ${EVENTS} deliveries (${n.accounts}×3 account.updated, ${n.reversals} transfer.reversed, ` +
      `${n.duplicates} duplicates, ${n.stale} stale, ${n.bad} bad signatures), ${IN_FLIGHT} in flight`,
  );
  const fake = new FakeStripe();
  const stripePort = await fake.start();
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  try {
    const staleReversals = Math.ceil(n.stale / 2);
    const { accounts, transfers } = await seed(
      db,
      fake,
      n.accounts,
      n.reversals + staleReversals + n.bad,
    );
    const reversed = transfers.slice(0, n.reversals);
    const staleTargets = transfers.slice(n.reversals, n.reversals + staleReversals);
    const badTargets = transfers.slice(n.reversals + staleReversals);
    const base = Math.floor(Date.now() / 1000) - 3_600;
    const valid = [...accountDeliveries(accounts, base), ...reversalDeliveries(reversed)];
    const stale = staleDeliveries(n.stale, accounts, staleTargets, base);
    const deliveries = shuffle([
      ...valid,
      ...duplicateDeliveries(valid, n.duplicates),
      ...stale,
      ...badDeliveries(badTargets),
    ]);
    const raw = await rawPhase(url, deliveries);
    // Gone again before the API starts: its relay must not see these rows, nor the HTTP phase.
    await db.query(`DELETE FROM outbox WHERE job_name = 'stripe.event'`);
    await db.query('DELETE FROM stripe_events');
    await db.query('VACUUM ANALYZE stripe_events, outbox');
    api = await startApi({
      DATABASE_URL: url,
      QUEUE_PREFIX: PREFIX,
      OUTBOX_POLL_MS: '100',
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_BASE: `http://127.0.0.1:${stripePort}`,
      STRIPE_WEBHOOK_SECRET: SECRETS.platform,
      STRIPE_CONNECT_WEBHOOK_SECRET: SECRETS.connect,
    });
    const { answers, seconds } = await sendAll(api.url, deliveries);
    const processSeconds = await waitProcessed(db);
    const untouched = [...transfers.slice(n.reversals)];
    const fx = await effects(db, answers, accounts, reversed, untouched);
    report(answers, seconds, raw, processSeconds, reorderedCount(deliveries), fx, {
      valid: valid.length,
      refused: stale.length + badTargets.length,
      accounts: accounts.length,
      reversals: reversed.length,
      untouched: untouched.length,
    });
  } finally {
    await api?.stop();
    await db.end();
    await fake.stop();
    await dropDatabase(DB);
    await cleanRedis(PREFIX);
  }
}

function report(
  answers: Answer[],
  seconds: number,
  raw: { answers: RawAnswer[]; seconds: number },
  processSeconds: number,
  reordered: number,
  fx: Effects,
  expected: {
    valid: number;
    refused: number;
    accounts: number;
    reversals: number;
    untouched: number;
  },
) {
  const wrongStatus = answers.filter((a) => a.status !== a.delivery.expect).length;
  const rate = answers.length / seconds;
  const rawRate = raw.answers.length / raw.seconds;
  const ms = (xs: { ms: number }[], q: number) =>
    pct(
      xs.map((a) => a.ms),
      q,
    ).toFixed(1);
  console.log('');
  table(
    ['deliveries', 'sent', '200', '400', 'unexpected', 'p50 ms', 'p99 ms'],
    latencyRows(answers),
  );
  console.log(`  older account.updated sent after a newer one (reordered): ${reordered}`);
  console.log('');
  table(
    ['path', 'deliveries', 'seconds', 'deliveries/s', 'p50 ms', 'p99 ms'],
    [
      [
        `HTTP: our two endpoints, ${IN_FLIGHT} in flight`,
        answers.length,
        seconds.toFixed(2),
        rate.toFixed(0),
        ms(answers, 50),
        ms(answers, 99),
      ],
      [
        `baseline: signature + event row + outbox row, ${IN_FLIGHT} connections`,
        raw.answers.length,
        raw.seconds.toFixed(2),
        rawRate.toFixed(0),
        ms(raw.answers, 50),
        ms(raw.answers, 99),
      ],
    ],
  );
  console.log('');
  const rawCount = (outcome: RawAnswer['outcome']) =>
    raw.answers.filter((a) => a.outcome === outcome).length;
  const rawWrong = raw.answers.filter(
    (a) => (a.outcome === 'refused') !== (a.delivery.expect === 400),
  ).length;
  const checks: [string, number, number][] = [
    // The baseline did the same work: each valid event stored once, the rest refused.
    ['baseline: events stored', rawCount('stored'), expected.valid],
    ['baseline: deliveries refused', rawCount('refused'), expected.refused],
    ['baseline: outcomes against the expected status', rawWrong, 0],
    ['events stored (one row per valid event id)', fx.storedEvents, expected.valid],
    ['valid ids answered duplicate:false exactly once', fx.firstAnswers, expected.valid],
    ['stale/bad events stored', fx.refusedStored, 0],
    ['answers with the wrong status', wrongStatus, 0],
    ['accounts in their newest event state', fx.accountsNewest, expected.accounts],
    ['reversals booked exactly once, right amount', fx.reversalsBooked, expected.reversals],
    ['extra reversal entries (duplicate effects)', fx.reversalsExtra, 0],
    ['stale/bad-only transfers with any booking', fx.untouchedBooked, 0],
    ['trial balance |sum| (minor units)', fx.trialBalance, 0],
  ];
  table(['effect', 'counted', 'expected'], checks);
  const violations = checks.filter(([, got, want]) => got !== want).length;
  console.log(
    `\n  sent in ${seconds.toFixed(2)} s (${rate.toFixed(0)} deliveries/s); all applied ${processSeconds.toFixed(2)} s after the last answer`,
  );
  console.log(
    `\nRESULT webhook-replay: deliveries=${answers.length} rate=${rate.toFixed(0)}/s p50=${ms(answers, 50)}ms p99=${ms(answers, 99)}ms ` +
      `raw=${rawRate.toFixed(0)}/s ratio=${(rate / rawRate).toFixed(2)} raw_p50=${ms(raw.answers, 50)}ms ` +
      `valid=${expected.valid} reordered=${reordered} wrong_status=${wrongStatus} refused_stored=${fx.refusedStored} ` +
      `accounts_newest=${fx.accountsNewest}/${expected.accounts} reversals_once=${fx.reversalsBooked}/${expected.reversals} ` +
      `duplicate_effects=${fx.reversalsExtra} untouched_booked=${fx.untouchedBooked} trial_balance=${fx.trialBalance} ` +
      `violations=${violations}`,
  );
  if (violations > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
