/**
 * Fairness: the same agents (identical but for their speed) over a pull shift, then over a push
 * shift, then over a push shift whose agents have quality tiers (issue 19), in one run. Tickets arrive at random (Poisson) at 70% of what the agents can handle;
 * each takes the same time to handle. Pull agents poll claim-next every 1–15 s (agent i of N
 * at 1 + 14·i/(N−1) s); push agents get offers on their event stream and accept after a
 * reaction time drawn up to that same interval. Reported: the Gini coefficient of tickets per
 * available agent-hour (0 = all equal) for each mode. Goal: push ≤ 0.1.
 *
 * With tiers (every fifth agent top, every fifth bottom, the rest middle, uncorrelated with
 * speed): offers per available agent-hour by tier (goal: top > middle > bottom, the top at
 * least 10 % above the middle), the Gini within each tier (goal ≤ 0.1), and the fairness floor
 * checked at every offer: no agent idle at that instant waited more than 3× the median wait of
 * its tier's idle agents while the offer went to one that did not (goal: 0 breaches; waits as
 * the router counts them, since the last offer or the check-in, with 2 real seconds of slack
 * for the router's snapshot).
 *
 * Everything real: the built API with its workers (router job, offer timers, outbox relay),
 * Postgres and Redis; claim-next, accept and resolve over HTTP, offers over SSE. Tickets are
 * inserted by SQL (intake is not measured here; the insert fires the router trigger as intake
 * does).
 *
 * The clock is compressed by BENCH_SCALE (default 20): every simulated interval (polls, reaction
 * times, handling) runs 20× faster. Offers are held 10 s real (the lowest offerSeconds the
 * database allows, 200 s simulated); no agent here lets one run out, so it only bounds the
 * lag a lost stream frame would cost (the bench reports expired offers).
 *
 *   npm run bench:fairness                 # 200 agents, 5,000 tickets per mode (~10 min)
 *   BENCH_SMALL=1 npm run bench:fairness   # 40 agents, 400 tickets per mode
 */
import 'reflect-metadata';
import http from 'node:http';
import { Client } from 'pg';
import { insertTickets, LiveShift, seedLiveShift } from './live-shift';
import { dropDatabase, freshDatabase, startApi, table, tokenSigner, seededRandom } from './support';

const SMALL = process.env.BENCH_SMALL === '1';
const AGENTS = Number(process.env.BENCH_AGENTS ?? (SMALL ? 40 : 200));
const TICKETS = Number(process.env.BENCH_TICKETS ?? (SMALL ? 400 : 5_000));
const SCALE = Number(process.env.BENCH_SCALE ?? 20);
const LOAD = Number(process.env.BENCH_LOAD ?? 0.7);
const HANDLE_SIM_S = 180; // each ticket: 3 simulated minutes (±10%)
const POLL_MIN_S = 1;
const POLL_MAX_S = 15;
const DB = 'handoff_bench_fairness';

const real = (simSeconds: number) => (simSeconds * 1000) / SCALE; // → real ms
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 0 when everyone has the same, towards 1 when one has everything. */
export function gini(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const total = s.reduce((a, b) => a + b, 0);
  if (n === 0 || total === 0) return 0;
  const weighted = s.reduce((acc, x, i) => acc + (i + 1) * x, 0);
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

// Idle sockets are dropped before the API's keep-alive timeout (5 s) closes them under a request.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: AGENTS * 2, timeout: 4_000 });

/**
 * A call, retried when a reused socket turns out closed (the request never reached the API).
 * Accepts carry an Idempotency-Key, so even a retry of one that did is answered once.
 */
async function call(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(base, method, path, token, body, headers);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (attempt >= 3 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw e;
    }
  }
}

function once(
  base: string,
  method: string,
  path: string,
  token: string,
  body: unknown,
  extra: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        agent: keepAlive,
        headers: {
          authorization: `Bearer ${token}`,
          ...extra,
          ...(payload && {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** An agent's event stream: calls onOffer for each offer.created frame. */
function openStream(
  base: string,
  token: string,
  onOffer: (offerId: string) => void,
): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${base}/v1/events/stream`,
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`stream: ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('error', () => undefined); // the bench closes streams at the end
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(': connected')) resolve(req);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'offer.created' && data) {
              onOffer((JSON.parse(data) as { data: { offerId: string } }).data.offerId);
            }
          }
        });
      },
    );
    req.on('error', reject);
  });
}

type Tier = 'top' | 'middle' | 'bottom';
const TIERS: Tier[] = ['top', 'middle', 'bottom'];
type Mode = LiveShift & { label: string; tiers: Map<string, Tier> | null };

async function seedMode(db: Client, routing: LiveShift['routing'], tiered = false): Promise<Mode> {
  const shift = await seedLiveShift(db, {
    routing,
    agents: AGENTS,
    offerSeconds: 10,
    maxConcurrentTickets: 1,
  });
  if (!tiered) return { ...shift, label: routing, tiers: null };
  // Every fifth agent top, every fifth bottom: tiers uncorrelated with speed (agent i's pace).
  const tiers = new Map(
    shift.agents.map((id, i): [string, Tier] => [
      id,
      i % 5 === 0 ? 'top' : i % 5 === 4 ? 'bottom' : 'middle',
    ]),
  );
  await db.query(
    `INSERT INTO agent_quality (agent_id, inputs, score, tier)
     SELECT id, 10, 0.5, tier FROM unnest($1::uuid[], $2::text[]) AS x(id, tier)`,
    [[...tiers.keys()], [...tiers.values()]],
  );
  return { ...shift, label: 'push tiers', tiers };
}

/** Offers per available agent-hour by tier, the Gini within each, and floor breaches. */
async function tierReport(db: Client, mode: Mode, elapsedSim: number) {
  const offers = await db.query<{ agent_id: string; created_at: Date }>(
    `SELECT agent_id, created_at FROM offers WHERE company_id = $1 ORDER BY created_at`,
    [mode.company],
  );
  const claims = await db.query<{ agent_id: string; resolved_at: Date | null; claimed_at: Date }>(
    `SELECT agent_id, claimed_at, resolved_at FROM ticket_claims WHERE company_id = $1`,
    [mode.company],
  );
  const seats = await db.query<{ agent_id: string; checked_in_at: Date; away: number }>(
    `SELECT agent_id, checked_in_at, away_seconds AS away FROM shift_claims WHERE shift_id = $1`,
    [mode.shift],
  );
  const tiers = mode.tiers!;
  const offerTimes = new Map<string, number[]>(mode.agents.map((a) => [a, []]));
  for (const o of offers.rows) offerTimes.get(o.agent_id)!.push(o.created_at.getTime());
  // Busy from an offer until its claim is resolved: the claims' spans, by agent.
  const busy = new Map<string, [number, number][]>(mode.agents.map((a) => [a, []]));
  for (const c of claims.rows) {
    busy.get(c.agent_id)!.push([c.claimed_at.getTime(), c.resolved_at?.getTime() ?? Infinity]);
  }
  const checkedIn = new Map(seats.rows.map((r) => [r.agent_id, r.checked_in_at.getTime()]));
  const away = new Map(seats.rows.map((r) => [r.agent_id, r.away]));
  const lastBefore = (xs: number[], t: number) => {
    let last = -Infinity;
    for (const x of xs) if (x < t) last = x;
    return last;
  };
  // The router's wait: since the last offer or claim, or the check-in (offers.repository).
  const claimTimes = new Map<string, number[]>(mode.agents.map((a) => [a, []]));
  for (const c of claims.rows) claimTimes.get(c.agent_id)!.push(c.claimed_at.getTime());
  const routerWait = (a: string, t: number) =>
    t -
    Math.max(
      checkedIn.get(a)!,
      lastBefore(offerTimes.get(a)!, t),
      lastBefore(claimTimes.get(a)!, t),
    );
  const SLACK = 2_000;
  let breaches = 0;
  let worst = 0;
  for (const o of offers.rows) {
    const t = o.created_at.getTime();
    // Idle at t (with slack): not holding a claim, no offer in the last SLACK ms.
    const idle = mode.agents.filter((a) => {
      if (a === o.agent_id) return false;
      const lastOffer = lastBefore(offerTimes.get(a)!, t);
      if (t - lastOffer < SLACK) return false;
      return !busy.get(a)!.some(([from, to]) => from <= t && to > t - SLACK);
    });
    const wait = (a: string) => t - Math.max(checkedIn.get(a)!, lastBefore(offerTimes.get(a)!, t));
    const medians = new Map<Tier, number>();
    for (const tier of TIERS) {
      const ws = idle
        .filter((a) => tiers.get(a) === tier)
        .map(wait)
        .sort((x, y) => x - y);
      if (ws.length > 0) medians.set(tier, ws[Math.floor((ws.length - 1) / 2)]);
    }
    const starved = (a: string) => wait(a) > 3 * (medians.get(tiers.get(a)!) ?? Infinity) + SLACK;
    const offeredStarved = wait(o.agent_id) > 3 * (medians.get(tiers.get(o.agent_id)!) ?? Infinity);
    const left = idle.filter(starved);
    if (left.length > 0 && !offeredStarved) {
      breaches += 1;
      worst = Math.max(worst, ...left.map((a) => wait(a) / medians.get(tiers.get(a)!)!));
      if (breaches <= 5) {
        const s = left[0];
        const freed = Math.max(...busy.get(s)!.map(([, to]) => (to < t ? to : -Infinity)));
        const next = offerTimes.get(s)!.find((x) => x >= t);
        const router = routerWait(s, t);
        console.log(
          `  breach at +${((t - checkedIn.get(s)!) / 1000).toFixed(1)} s: offered a ` +
            `${tiers.get(o.agent_id)} agent waiting ${(wait(o.agent_id) / 1000).toFixed(1)} s; ` +
            `a ${tiers.get(s)} agent waited ${(wait(s) / 1000).toFixed(1)} s (median ` +
            `${(medians.get(tiers.get(s)!)! / 1000).toFixed(1)} s), free for ` +
            `${((t - freed) / 1000).toFixed(1)} s; its next offer ` +
            `${next === undefined ? 'never' : `+${((next - t) / 1000).toFixed(1)} s`}; router's ` +
            `wait ${(router / 1000).toFixed(1)} s; ${offerTimes.get(s)!.length} offers in all`,
        );
      }
    }
  }
  const perTier = TIERS.map((tier) => {
    const rates = mode.agents
      .filter((a) => tiers.get(a) === tier)
      .map((a) => offerTimes.get(a)!.length / ((elapsedSim - away.get(a)! * SCALE) / 3600));
    const mean = rates.reduce((x, y) => x + y, 0) / Math.max(1, rates.length);
    return { tier, agents: rates.length, mean, gini: gini(rates) };
  });
  return { perTier, breaches, worst };
}

interface Tally {
  calls: Map<string, number>;
  resolved: number;
}

async function runMode(db: Client, base: string, mode: Mode) {
  const sign = tokenSigner();
  const tokens = mode.agents.map((id) => sign(id, 'agent'));
  const intervals = mode.agents.map(
    (_, i) => POLL_MIN_S + ((POLL_MAX_S - POLL_MIN_S) * i) / Math.max(1, AGENTS - 1),
  );
  const random = seededRandom(42);
  const handle = () => real(HANDLE_SIM_S * (0.9 + 0.2 * random()));
  const tally: Tally = { calls: new Map(), resolved: 0 };
  const count = (label: string) => tally.calls.set(label, (tally.calls.get(label) ?? 0) + 1);
  const label = (r: { status: number; body: Record<string, unknown> | null }) =>
    r.status < 400 ? String(r.status) : `${r.status} ${(r.body?.error as { code?: string })?.code}`;
  let done = false;

  const work = async (token: string, ticketId: string) => {
    await sleep(handle());
    const r = await call(base, 'POST', `/v1/tickets/${ticketId}/resolve`, token, {
      resolutionSummary: 'Refund re-issued',
    });
    count(`resolve ${label(r)}`);
    // A retried resolve that had gone through answers TICKET_ALREADY_RESOLVED.
    if (r.status === 200 || label(r) === '409 TICKET_ALREADY_RESOLVED') tally.resolved += 1;
  };

  const streams: http.ClientRequest[] = [];
  const agentsDone: Promise<void>[] = [];
  if (mode.routing === 'pull') {
    for (const [i, token] of tokens.entries()) {
      agentsDone.push(
        (async () => {
          await sleep(random() * real(intervals[i])); // not all in step
          while (!done) {
            try {
              const r = await call(base, 'POST', '/v1/agents/me/tickets/claim-next', token);
              count(`claim-next ${label(r)}`);
              if (r.status === 200) await work(token, r.body!.id as string);
              else await sleep(real(intervals[i]));
            } catch (e) {
              count(`error ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
              await sleep(real(intervals[i]));
            }
          }
        })(),
      );
    }
  } else {
    // Offers are answered one at a time (limit 1: the router never offers a busy agent).
    for (const [i, token] of tokens.entries()) {
      let chain = Promise.resolve();
      streams.push(
        await openStream(base, token, (offerId) => {
          chain = chain
            .then(async () => {
              await sleep(random() * real(intervals[i]));
              const r = await call(base, 'POST', `/v1/offers/${offerId}/accept`, token, undefined, {
                'idempotency-key': offerId,
              });
              count(`accept ${label(r)}`);
              if (r.status === 200) await work(token, r.body!.id as string);
            })
            .catch((e: NodeJS.ErrnoException) => {
              count(`error ${e.code ?? e.message}`);
            });
        }),
      );
      agentsDone.push(
        (async () => {
          while (!done) await sleep(200);
          await chain;
        })(),
      );
    }
  }

  // Poisson arrivals at LOAD × capacity (agents / handling time), as real ms from the start.
  const perRealMs = (LOAD * AGENTS) / real(HANDLE_SIM_S);
  const arrivals = seededRandom(7);
  const at: number[] = [];
  for (let t = 0; at.length < TICKETS;) at.push((t += -Math.log(1 - arrivals()) / perRealMs));
  const started = Date.now();
  let inserted = 0;
  while (inserted < TICKETS) {
    const now = Date.now() - started;
    let due = inserted;
    while (due < TICKETS && at[due] <= now) due += 1;
    // Everything due by now goes in one statement.
    if (due > inserted) await insertTickets(db, mode.company, inserted + 1, due - inserted);
    inserted = due;
    if (inserted < TICKETS) await sleep(Math.max(5, at[inserted] - (Date.now() - started)));
  }
  const arrivalsEnded = Date.now();
  // Drain: until every ticket is resolved (or a minute of real time past the last arrival).
  while (tally.resolved < TICKETS && Date.now() - arrivalsEnded < 60_000) await sleep(200);
  const ended = Date.now();
  done = true;
  await Promise.all(agentsDone);
  for (const s of streams) s.destroy();

  const { rows } = await db.query<{ agent_id: string; n: number; away: number }>(
    `SELECT c.agent_id, count(t.id)::int AS n, c.away_seconds AS away
       FROM shift_claims c
       LEFT JOIN ticket_claims t ON t.agent_id = c.agent_id AND t.status = 'resolved'
      WHERE c.shift_id = $1 GROUP BY c.agent_id, c.away_seconds`,
    [mode.shift],
  );
  const perAgent = new Map(rows.map((r) => [r.agent_id, r]));
  const elapsedSim = ((ended - started) / 1000) * SCALE;
  const rates = mode.agents.map((id) => {
    const r = perAgent.get(id)!;
    const availableHours = (elapsedSim - r.away * SCALE) / 3600;
    return r.n / availableHours;
  });
  const offers = await db.query<{ status: string; n: number; p50: number; p99: number }>(
    `SELECT status, count(*)::int AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at)) * 1000 AS p99
       FROM offers WHERE company_id = $1 GROUP BY status ORDER BY status`,
    [mode.company],
  );
  const quarter = Math.max(1, Math.floor(AGENTS / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sorted = [...rates].sort((a, b) => a - b);
  return {
    mode: mode.label,
    tiers: mode.tiers ? await tierReport(db, mode, elapsedSim) : null,
    gini: gini(rates),
    resolved: tally.resolved,
    realSeconds: (ended - started) / 1000,
    simHours: elapsedSim / 3600,
    min: sorted[0],
    median: sorted[Math.floor(sorted.length / 2)],
    max: sorted[sorted.length - 1],
    fastest: mean(rates.slice(0, quarter)),
    slowest: mean(rates.slice(-quarter)),
    calls: tally.calls,
    offers: offers.rows,
  };
}

async function main() {
  console.log(
    `fairness: ${AGENTS} agents per mode, ${TICKETS} tickets per mode, load ${LOAD}, ` +
      `handling ${HANDLE_SIM_S} s, polls/reactions ${POLL_MIN_S}–${POLL_MAX_S} s, ` +
      `clock 1:${SCALE} (1 real s = ${SCALE} simulated s)`,
  );
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  const pull = await seedMode(db, 'pull');
  const push = await seedMode(db, 'push');
  const tiered = await seedMode(db, 'push', true);
  await db.query('VACUUM ANALYZE');
  const api = await startApi({
    DATABASE_URL: url,
    DB_POOL_SIZE: '30',
    QUEUE_PREFIX: `bench-fairness-${process.pid}`,
    OUTBOX_POLL_MS: '50',
    EVENTS_POLL_MS: '50',
    // The tiers are seeded: the workers' refresh (from ratings, none here) must not rewrite them.
    QUALITY_REFRESH_MS: '86400000',
  });
  try {
    const results = [];
    for (const mode of [pull, push, tiered]) {
      console.log(`\n${mode.label}…`);
      // Every mode starts with its agents just checked in: a wait counts from then, not from
      // the seeding before the earlier modes ran (which made the first offers of the last mode
      // look like the end of a long wait).
      await db.query(`UPDATE shift_claims SET checked_in_at = now() WHERE shift_id = $1`, [
        mode.shift,
      ]);
      results.push(await runMode(db, api.url, mode));
    }
    const f = (x: number) => x.toFixed(2);
    console.log('\ntickets per available agent-hour (simulated hours)\n');
    table(
      ['mode', 'Gini', 'resolved', 'min', 'median', 'max', 'fastest ¼', 'slowest ¼', 'real s'],
      results.map((r) => [
        r.mode,
        r.gini.toFixed(3),
        r.resolved,
        f(r.min),
        f(r.median),
        f(r.max),
        f(r.fastest),
        f(r.slowest),
        r.realSeconds.toFixed(0),
      ]),
    );
    for (const r of results) {
      console.log(`\n${r.mode}: calls`);
      table(
        ['call', 'count'],
        [...r.calls.entries()].sort().map(([k, v]) => [k, v]),
      );
      if (r.offers.length > 0) {
        console.log(`${r.mode}: offers (created → decided, real ms)`);
        table(
          ['status', 'count', 'p50 ms', 'p99 ms'],
          r.offers.map((o) => [o.status, o.n, Math.round(o.p50), Math.round(o.p99)]),
        );
      }
    }
    const [p, q, r] = results;
    const tr = r.tiers!;
    console.log('\npush tiers: offers per available agent-hour (simulated hours)\n');
    table(
      ['tier', 'agents', 'mean', 'Gini within'],
      tr.perTier.map((x) => [x.tier, x.agents, f(x.mean), x.gini.toFixed(3)]),
    );
    console.log(
      `floor breaches: ${tr.breaches} (worst wait ${tr.worst.toFixed(1)}× its tier's median)`,
    );
    const [top, middle, bottom] = tr.perTier;
    const ordered = top.mean >= 1.1 * middle.mean && middle.mean > bottom.mean;
    const tierGini = Math.max(...tr.perTier.map((x) => x.gini));
    console.log(
      `\nRESULT fairness: agents=${AGENTS} tickets=${TICKETS} scale=1:${SCALE} ` +
        `push Gini=${q.gini.toFixed(3)} (goal ≤ 0.1: ${q.gini <= 0.1 ? 'met' : 'MISSED'}) ` +
        `pull Gini=${p.gini.toFixed(3)}`,
    );
    console.log(
      `RESULT fairness tiers: offers/h top=${f(top.mean)} middle=${f(middle.mean)} ` +
        `bottom=${f(bottom.mean)} top/middle=${(top.mean / middle.mean).toFixed(2)} ` +
        `(goal top ≥ 1.1× middle > bottom: ${ordered ? 'met' : 'MISSED'}) ` +
        `max Gini within a tier=${tierGini.toFixed(3)} (goal ≤ 0.1: ${tierGini <= 0.1 ? 'met' : 'MISSED'}) ` +
        `floor breaches=${tr.breaches} (goal 0: ${tr.breaches === 0 ? 'met' : 'MISSED'})`,
    );
    const missed =
      q.gini > 0.1 ||
      !ordered ||
      tierGini > 0.1 ||
      tr.breaches > 0 ||
      [p, q, r].some((x) => x.resolved < TICKETS);
    if (missed) process.exitCode = 1;
  } finally {
    keepAlive.destroy();
    await api.stop();
    await db.end();
    await dropDatabase(DB);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
