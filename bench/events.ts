/**
 * Event streams under load (issues 15, 20): BENCH_STREAMS (default 5,000) concurrent
 * GET /v1/events/stream connections on ONE API process — agents of BENCH_COMPANIES (default 4)
 * companies, plus one company-admin stream per company — while this process commits
 * BENCH_RATE events/s (default 200) for BENCH_SECONDS (default 30), each for one agent and its
 * company (so each event is delivered twice: to its agent's stream and its company's).
 *
 * Reports:
 *  - memory per connection: the API's resident set size and JS heap (its own /metrics) before
 *    the streams open and once they are all open, divided by the number of streams;
 *  - commit → delivery: from the writer's COMMIT returning to the frame arriving at the
 *    client, p50/p99/max, for agent and company streams (goal: p99 < 100 ms);
 *  - every event delivered exactly once to each of its two streams, in id order, no stream
 *    dropped: any violation exits 1.
 *
 * The writer inserts into `events` as EventsService.record does, in its own transaction, and
 * wakes the sequencers as record() does after it (pg_notify('events')), so the path measured is
 * the production one: sequencer → Redis → the API's hub → each stream. Clients parse the SSE
 * frames on raw sockets (one connection each, no keep-alive pool).
 *
 *   npm run bench:events
 *   BENCH_STREAMS=500 BENCH_SECONDS=10 npm run bench:events
 */
import 'reflect-metadata';
import { JwtService } from '@nestjs/jwt';
import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { insertTickets, seedLiveShift } from './live-shift';
import {
  BENCH_TOKEN_TTL_SECONDS,
  dropDatabase,
  freshDatabase,
  JWT_SECRET,
  pct,
  REDIS_URL,
  startApi,
  table,
} from './support';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 5_000);
const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 4);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const DB = 'handoff_bench_events';
const PREFIX = `bench-events-${process.pid}`;
const METRICS_TOKEN = `bench-${randomBytes(16).toString('hex')}`;
const GOAL_P99_MS = 100;
const OFFER_AGENTS = Number(process.env.BENCH_OFFER_AGENTS ?? 40);
const OFFER_TICKETS = Number(process.env.BENCH_OFFER_TICKETS ?? 200);
const OFFER_RATE = Number(process.env.BENCH_OFFER_RATE ?? 10);

type Sign = (sub: string, role: 'agent' | 'company_admin', cid: string | null) => string;

interface Stream {
  kind: 'agent' | 'company';
  owner: string;
  status: number;
  ended: boolean;
  /** Event ids in arrival order, and each one's arrival time (performance.now()). */
  ids: number[];
  seqs: number[];
  arrivals: number[];
}

interface Frame {
  id: number;
  event: string;
  data: { data: Record<string, unknown> };
  /** performance.now() when the chunk holding it arrived. */
  at: number;
}

/** One SSE connection: frames are parsed as they come and handed to `onFrame`. */
function openStream(
  base: string,
  token: string,
  s: { status: number; ended: boolean },
  agent: Agent,
  onFrame: (f: Frame) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const req = request(
      `${base}/v1/events/stream`,
      { headers: { Authorization: `Bearer ${token}` }, agent },
      (res) => {
        s.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(': connected')) resolve();
            const id = /^id: (\d+)$/m.exec(block);
            const event = /^event: (.*)$/m.exec(block);
            const data = /^data: (.*)$/m.exec(block);
            if (!id || !event || !data) continue;
            onFrame({ id: Number(id[1]), event: event[1], data: JSON.parse(data[1]), at });
          }
        });
        res.on('close', () => (s.ended = true));
        if (s.status !== 200) reject(new Error(`stream answered ${s.status}`));
      },
    );
    req.on('error', (e) => {
      s.ended = true;
      reject(e);
    });
    req.end();
  });
}

/** Keeps what the report needs of a load stream's frames. */
const keep = (s: Stream) => (f: Frame) => {
  s.ids.push(f.id);
  s.seqs.push(f.data.data.seq as number);
  s.arrivals.push(f.at);
};

/**
 * An offer's way: a push-shift ticket committed (inserted as intake does: the trigger asks for
 * the router) → the outbox relay → the `offers.route` job in a WORKER process → the offer and
 * its `offer.created` event → the sequencer → Redis → the agent's stream on the API process.
 * OFFER_TICKETS tickets at OFFER_RATE/s for OFFER_AGENTS agents (who never answer: each may
 * hold up to 10 offers); the time from each ticket's COMMIT to its offer's frame.
 */
async function offerLatency(db: Client, dbUrlOf: string, apiUrl: string, agent: Agent, sign: Sign) {
  const live = await seedLiveShift(db, {
    routing: 'push',
    agents: OFFER_AGENTS,
    offerSeconds: 120,
    maxConcurrentTickets: 10, // the most an agent may have; 40 × 10 hold every offer
  });
  const worker = await startApi({ DATABASE_URL: dbUrlOf, QUEUE_PREFIX: PREFIX, WORKERS: 'true' });
  const arrived = new Map<string, number>();
  const states = live.agents.map(() => ({ status: 0, ended: false }));
  try {
    await Promise.all(
      live.agents.map((id, i) =>
        openStream(apiUrl, sign(id, 'agent', null), states[i], agent, (f) => {
          if (f.event === 'offer.created') arrived.set(f.data.data.ticketId as string, f.at);
        }),
      ),
    );
    const committed = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < OFFER_TICKETS; i++) {
      const wait = started + (i * 1000) / OFFER_RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const [id] = await insertTickets(db, live.company, i + 1, 1);
      committed.set(id, performance.now());
      // As intake's OutboxService.poke does after its commit (the trigger wrote the router's job).
      void db.query(`SELECT pg_notify('outbox', '')`);
    }
    const deadline = performance.now() + 30_000;
    while (arrived.size < OFFER_TICKETS && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = [...committed]
      .filter(([id]) => arrived.has(id))
      .map(([id, at]) => arrived.get(id)! - at);
    return { ms, missing: OFFER_TICKETS - ms.length };
  } finally {
    await worker.stop();
  }
}

async function scrapeMemory(base: string): Promise<{ rss: number; heap: number }> {
  const res = await fetch(`${base}/metrics`, {
    headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    rss: value('process_resident_memory_bytes'),
    heap: value('nodejs_heap_size_used_bytes'),
  };
}

async function settle(): Promise<void> {
  // Let the process's garbage collector catch up between measurements.
  await new Promise((r) => setTimeout(r, 2000));
}

async function main() {
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    api = await startApi({
      DATABASE_URL: url,
      QUEUE_PREFIX: PREFIX,
      WORKERS: 'off',
      METRICS_TOKEN,
      EVENTS_STREAM_MAX_BEHIND: '1000',
    });
    const jwt = new JwtService({ secret: JWT_SECRET });
    const sign: Sign = (sub, role, cid) =>
      jwt.sign({ sub, role, cid }, { expiresIn: BENCH_TOKEN_TTL_SECONDS });
    // Tokens are all the API checks for a stream (no row is read): no seeding needed.
    const companies = Array.from({ length: COMPANIES }, () => randomUUID());
    const agents = Array.from({ length: STREAMS - COMPANIES }, (_, i) => ({
      id: randomUUID(),
      companyId: companies[i % COMPANIES],
    }));
    await scrapeMemory(api.url); // warm the metrics path
    await settle();
    const before = await scrapeMemory(api.url);

    const streams = new Map<string, Stream>();
    const fresh = (kind: Stream['kind'], owner: string): Stream => ({
      kind,
      owner,
      status: 0,
      ended: false,
      ids: [],
      seqs: [],
      arrivals: [],
    });
    const openStart = performance.now();
    const opening: Promise<void>[] = [];
    for (const c of companies) {
      const s = fresh('company', c);
      streams.set(`c:${c}`, s);
      opening.push(openStream(api.url, sign(randomUUID(), 'company_admin', c), s, agent, keep(s)));
    }
    // In waves of 200: a burst of 2,000 connects would measure the accept queue, not streams.
    for (let i = 0; i < agents.length; i += 200) {
      await Promise.all(
        agents.slice(i, i + 200).map((a) => {
          const s = fresh('agent', a.id);
          streams.set(`a:${a.id}`, s);
          const open = openStream(api!.url, sign(a.id, 'agent', null), s, agent, keep(s));
          opening.push(open);
          return open;
        }),
      );
    }
    await Promise.all(opening);
    const openSeconds = (performance.now() - openStart) / 1000;
    await settle();
    const open = await scrapeMemory(api.url);

    // The load: RATE events/s, each for one agent (round robin) and its company.
    const committedAt: number[] = [];
    const want = new Map([...streams.keys()].map((k) => [k, 0]));
    const total = RATE * SECONDS;
    const started = performance.now();
    let lateWrites = 0;
    for (let seq = 0; seq < total; seq++) {
      const due = started + (seq * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -50) lateWrites += 1;
      const a = agents[seq % agents.length];
      want.set(`a:${a.id}`, want.get(`a:${a.id}`)! + 1);
      want.set(`c:${a.companyId}`, want.get(`c:${a.companyId}`)! + 1);
      await db.query('BEGIN');
      await db.query(
        `INSERT INTO events (type, company_id, agent_id, data) VALUES ('bench.tick', $1, $2, $3)`,
        [a.companyId, a.id, JSON.stringify({ seq, pad: 'x'.repeat(200) })],
      );
      await db.query('COMMIT');
      committedAt[seq] = performance.now();
      // As EventsService.record's poke does (at most one per 20 ms there; every commit here).
      void db.query(`SELECT pg_notify('events', '')`);
    }
    const writeSeconds = (performance.now() - started) / 1000;
    // Every event reaches its two streams, or the wait gives up after 30 s.
    const deadline = performance.now() + 30_000;
    while (
      [...streams].some(([k, s]) => s.seqs.length < want.get(k)! && !s.ended) &&
      performance.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await scrapeMemory(api.url);

    // Checks and latencies.
    const latency = { agent: [] as number[], company: [] as number[] };
    let violations = 0;
    const problems: string[] = [];
    for (const [k, s] of streams) {
      const n = want.get(k)!;
      const distinct = new Set(s.seqs).size;
      const ordered = s.ids.every((id, i) => i === 0 || id > s.ids[i - 1]);
      if (s.status !== 200 || s.ended || s.seqs.length !== n || distinct !== n || !ordered) {
        violations += 1;
        if (problems.length < 5) {
          problems.push(
            `${k}: status ${s.status}, ended ${s.ended}, got ${s.seqs.length} (distinct ${distinct}) of ${n}, ordered ${ordered}`,
          );
        }
      }
      s.seqs.forEach((seq, i) => latency[s.kind].push(s.arrivals[i] - committedAt[seq]));
    }

    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    const kb = (b: number) => (b / 1024).toFixed(1);
    console.log(
      `\nevents: ${streams.size} streams on one API process (${agents.length} agents of ${COMPANIES} companies + ${COMPANIES} company streams), opened in ${openSeconds.toFixed(1)} s`,
    );
    console.log(
      `  ${total} events at ${RATE}/s for ${SECONDS} s (written in ${writeSeconds.toFixed(1)} s; ${lateWrites} writes >50 ms late), each to its agent and its company`,
    );
    table(
      ['memory', 'before streams', 'streams open', 'after load', 'per connection'],
      [
        [
          'rss MB',
          mb(before.rss),
          mb(open.rss),
          mb(after.rss),
          `${kb((open.rss - before.rss) / streams.size)} KB`,
        ],
        [
          'heap MB',
          mb(before.heap),
          mb(open.heap),
          mb(after.heap),
          `${kb((open.heap - before.heap) / streams.size)} KB`,
        ],
      ],
    );
    const row = (name: string, xs: number[]) => [
      name,
      xs.length,
      pct(xs, 50).toFixed(1),
      pct(xs, 99).toFixed(1),
      Math.max(0, ...xs).toFixed(1),
    ];
    table(
      ['commit → delivery (ms)', 'deliveries', 'p50', 'p99', 'max'],
      [
        row('agent streams', latency.agent),
        row('company streams', latency.company),
        row('all', [...latency.agent, ...latency.company]),
      ],
    );
    const p99 = pct([...latency.agent, ...latency.company], 99);
    console.log(
      `  p99 ${p99.toFixed(1)} ms: ${p99 < GOAL_P99_MS ? 'within' : 'OVER'} the ${GOAL_P99_MS} ms goal`,
    );
    console.log(
      `  streams with a missing, repeated or out-of-order event, or dropped: ${violations}`,
    );
    for (const p of problems) console.log(`    ${p}`);

    const offers = await offerLatency(db, url, api.url, agent, sign);
    table(
      ['escalation commit → offer on the agent stream (ms)', 'offers', 'p50', 'p99', 'max'],
      [
        [
          `${OFFER_TICKETS} tickets at ${OFFER_RATE}/s, ${OFFER_AGENTS} agents, router in a worker process`,
          offers.ms.length,
          pct(offers.ms, 50).toFixed(1),
          pct(offers.ms, 99).toFixed(1),
          Math.max(0, ...offers.ms).toFixed(1),
        ],
      ],
    );
    // The goal holds at RATE events/s: a run whose writes fell behind (commits slowed by the
    // load) delivered fewer per second, and its p99 says nothing of RATE.
    const achieved = total / writeSeconds;
    const rateHeld = achieved >= RATE * 0.95;
    console.log(
      `\nRESULT events: streams=${streams.size} memory/stream=${kb((open.rss - before.rss) / streams.size)} KB rss ` +
        `rate=${achieved.toFixed(0)}/s (of ${RATE}: ${rateHeld ? 'held' : 'NOT HELD'}) ` +
        `commit→delivery p99=${p99.toFixed(1)} ms (goal < ${GOAL_P99_MS}: ${p99 < GOAL_P99_MS ? 'met' : 'MISSED'}) ` +
        `violations=${violations} offer p50=${pct(offers.ms, 50).toFixed(1)} ms p99=${pct(offers.ms, 99).toFixed(1)} ms missing=${offers.missing}`,
    );
    if (violations > 0 || p99 >= GOAL_P99_MS || offers.missing > 0 || !rateHeld) {
      process.exitCode = 1;
    }
  } finally {
    agent.destroy();
    await api?.stop();
    await db.end();
    await dropDatabase(DB);
    await cleanRedis(PREFIX);
  }
}

async function cleanRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
