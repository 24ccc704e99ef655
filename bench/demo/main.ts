/**
 * `npm run demo`: a realistic day on Handoff, driven through the public HTTP API only.
 *
 *   npm run demo                      # own instance, fresh database handoff_demo, ~3 minutes
 *   DEMO_SEED=7 npm run demo          # another (reproducible) cast and ticket mix
 *   DEMO_TICKETS=20 npm run demo      # a smaller day (20–5000; 20 takes under 2 minutes)
 *   DEMO_KEEP=1 npm run demo          # leave the instance running to explore with curl
 *   DEMO_SUMMARY_JSON=day.json …      # also write what the day showed, for machines
 *   HANDOFF_URL=http://localhost:3000 DEMO_FINANCE_MAKER_EMAIL=… … npm run demo
 *
 * See docs/demo.md. Exit 0 when the day completes, 1 with the failing step otherwise.
 */
import type { Schemas } from '../../src/client/client';
import { Api, inParallel, StepFailed } from './api-client';
import { CompanyKey, castDay } from './cast';
import { booksProblem, runPayouts } from './finance';
import { demoDatabase, Instance, openInstance } from './instance';
import { chapter, detail, elapsedMs, say } from './narrate';
import { Rng, seedFromEnv } from './random';
import * as report from './report';
import { escalate, readBackTickets } from './bots';
import {
  agentsGetReady,
  countdown,
  narrateEvents,
  openForBusiness,
  scheduleFor,
  signUpAgents,
  waitForEarnings,
  workTheShift,
} from './scenario';
import { DayScale, DEFAULT_TICKETS, MAX_TICKETS, MIN_TICKETS, scaleFor } from './scale';
import { Day } from './state';
import { summarise as summaryOf, writeSummary } from './summary-json';
import { planTickets } from './tickets';
import { WebhookReceiver } from './webhooks';

const DEFAULT_SEED = 20261128;

interface Settings {
  seed: number;
  scale: DayScale;
  keep: boolean;
  /** DEMO_SUMMARY_JSON: where to write the machine-readable summary, if anywhere. */
  summaryPath: string | null;
}

function settings(): Settings {
  const tickets = Number(process.env.DEMO_TICKETS ?? DEFAULT_TICKETS);
  if (!Number.isInteger(tickets) || tickets < MIN_TICKETS || tickets > MAX_TICKETS) {
    throw new Error(`DEMO_TICKETS must be a whole number from ${MIN_TICKETS} to ${MAX_TICKETS}`);
  }
  return {
    seed: seedFromEnv(process.env.DEMO_SEED, DEFAULT_SEED),
    scale: scaleFor(tickets),
    keep: process.env.DEMO_KEEP === '1',
    summaryPath: process.env.DEMO_SUMMARY_JSON?.trim() || null,
  };
}

async function clockSkew(api: Api): Promise<number> {
  const { response } = await api.answer('The API answers', api.as().GET('/health/ready'));
  const server = Date.parse(response.headers.get('date') ?? '');
  const skew = Number.isNaN(server) ? 0 : server - Date.now();
  // The Date header has whole seconds: only a clear difference is a real skew.
  return Math.abs(skew) > 2000 ? skew : 0;
}

async function runDay(instance: Instance, s: Settings, receiver: WebhookReceiver | null) {
  const rng = new Rng(s.seed);
  const runTag = instance.own ? 'demo' : `d${Date.now().toString(36)}`;
  const cast = castDay(rng.fork('cast'), runTag, {
    agents: s.scale.agents,
    traineeResolutions: s.scale.traineeResolutions,
  });
  const api = new Api(instance.url);
  const day: Day = {
    api,
    scale: s.scale,
    companies: new Map(),
    agents: [],
    shiftStartsAt: new Date(),
    clockSkewMs: await clockSkew(api),
    escalated: new Map(),
    resolved: new Map(),
    escalationsDone: false,
    reopen: null,
    stories: {
      walkedAway: null,
      offersAccepted: 0,
      declined: null,
      released: null,
      clawbackSeen: false,
      selfApproval: null,
    },
    stopWork: false,
  };
  current = day;
  const signedUp = signUpAgents(day, cast);
  await openForBusiness(day, cast, receiver);
  const planned = planTickets(rng.fork('tickets'), cast.companies, s.scale.tickets);
  const backlog = planned.filter((t) => t.phase === 'backlog').length;
  say(`The bots start escalating: ${backlog} tickets pile up before the shift, the rest during it`);
  let botFailure: unknown = null;
  const bots = escalate(day, planned, scheduleFor(day)).then(
    () => void (day.escalationsDone = true),
  );
  bots.catch((e: unknown) => (botFailure = e));
  await agentsGetReady(day, cast, signedUp);
  await countdown(day, () => botFailure);
  if (botFailure) throw botFailure;
  const breaches = () =>
    receiver
      ? [...receiver.counts.values()].reduce((n, m) => n + (m.get('ticket.sla_breached') ?? 0), 0)
      : null;
  await workTheShift(day, rng.fork('work'), bots, breaches, instance.reopenWindowMs);
  await waitForEarnings(day, instance.reopenWindowMs, rng.fork('payday'));
  await instance.financeReady;
  const payout = await runPayouts(day, instance.maker, instance.checker);
  return { day, cast, payout };
}

/** The day so far, for the machine-readable summary when it fails part way. */
let current: Day | null = null;

async function summarise(
  result: Awaited<ReturnType<typeof runDay>>,
  receiver: WebhookReceiver | null,
): Promise<Map<string, Schemas['TicketDto']>> {
  const { day, payout } = result;
  chapter('Summary');
  const tickets = await readBackTickets(day);
  const earnings = new Map<string, Schemas['EarningsDto']>();
  await inParallel(day.agents, 10, async (a) => {
    earnings.set(
      a.id,
      await day.api.step(
        'Reading earnings',
        day.api.as(a.token).GET('/v1/agents/me/earnings', { params: { query: { limit: 1 } } }),
      ),
    );
  });
  const statements = new Map<CompanyKey, Schemas['StatementDto']>();
  const from = new Date(day.shiftStartsAt.getTime() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  for (const [key, c] of day.companies) {
    statements.set(
      key,
      await day.api.step(
        `${c.plan.name} reads its statement`,
        // The first page carries the period's totals, all the report reads.
        day.api.as(c.adminToken).GET('/v1/companies/me/statement', {
          params: { query: { from, to, limit: 1 } },
        }),
      ),
    );
  }
  console.log('');
  report.ticketOutcomes(day, tickets);
  console.log('');
  report.timeToClaim(tickets, day.shiftStartsAt);
  console.log('');
  report.earningsPerAgent(day, tickets, earnings, payout.run.lines ?? []);
  console.log('');
  report.payouts(payout);
  console.log('');
  report.companies(day, statements);
  if (receiver) {
    console.log('');
    report.webhooks(day, receiver);
  }
  report.footer(day, elapsedMs());
  return tickets;
}

/** DEMO_KEEP=1: leave everything up and say how to look around and how to stop. */
async function keepRunning(instance: Instance, result: Awaited<ReturnType<typeof runDay>> | null) {
  chapter('Kept running (DEMO_KEEP=1)');
  say(`API: ${instance.url}  (OpenAPI UI at ${instance.url}/docs)`);
  if (result) {
    const { cast, day } = result;
    const nw = day.companies.get('northwind');
    detail(`password for every demo user: ${cast.password}`);
    detail(`company admins: ${cast.companies.map((c) => c.admin.email).join(', ')}`);
    if (nw) detail(`Northwind bot key: ${nw.botKey}`);
    detail(`an agent: ${cast.agents[0].email}`);
  }
  detail(
    `finance: ${instance.maker.email} / ${instance.checker.email} (${instance.maker.password})`,
  );
  detail(
    `e.g. curl -s -X POST ${instance.url}/v1/auth/login -H 'Content-Type: application/json' ` +
      `-d '{"email":"${instance.maker.email}","password":"${instance.maker.password}"}'`,
  );
  if (instance.own) {
    const database = demoDatabase();
    detail(
      `Press Ctrl-C to stop the API; the database ${database} is kept ` +
        `(drop it with: dropdb -h 127.0.0.1 -U postgres ${database})`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
}

function explain(e: unknown): string {
  console.error('');
  if (e instanceof StepFailed) {
    console.error(`✗ DEMO FAILED at step: ${e.step}`);
    console.error(`  ${e.request} → HTTP ${e.status}`);
    console.error(`  ${e.body.slice(0, 2000)}`);
    return `${e.step}: ${e.request} → HTTP ${e.status}`;
  }
  // The message says what went wrong; the stack only helps when debugging the demo itself.
  const err = e as Error;
  console.error(`✗ DEMO FAILED: ${process.env.DEMO_DEBUG ? err?.stack : (err?.message ?? e)}`);
  return String(err?.message ?? e);
}

async function main(): Promise<number> {
  const s = settings();
  chapter('Handoff: a day on the marketplace');
  say(
    `seed ${s.seed} (DEMO_SEED), ${s.scale.tickets} tickets, ${s.scale.agents} agents, 2 companies`,
  );
  const instance = await openInstance(s.scale);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say('Interrupted: stopping the demo instance…');
    void instance.stop(s.keep).finally(() => process.exit(130));
  };
  if (!s.keep) process.once('SIGINT', onSignal);
  const receiver = instance.own ? new WebhookReceiver(narrateEvents()) : null;
  let code = 0;
  let failure: string | null = null;
  let result: Awaited<ReturnType<typeof runDay>> | null = null;
  let tickets: Map<string, Schemas['TicketDto']> | null = null;
  try {
    await receiver?.start();
    result = await runDay(instance, s, receiver);
    tickets = await summarise(result, receiver);
    // The books are the demo's last word (docs/demo.md): a trial balance off zero, or a run
    // that does not reconcile with Stripe, fails it, after the report that shows it.
    const books = booksProblem(result.payout);
    if (books) throw new Error(books);
  } catch (e) {
    failure = explain(e);
    code = 1;
  }
  if (interrupted) return 130;
  try {
    if (s.keep) await keepRunning(instance, result);
    await receiver?.stop();
    await instance.stop(s.keep);
    if (instance.own) {
      say(s.keep ? 'API stopped; database kept.' : 'Demo instance stopped; database dropped.');
    }
  } catch (e) {
    console.error(`Cleanup failed: ${(e as Error).message}`);
    failure ??= `cleanup: ${(e as Error).message}`;
    code = code || 1;
  }
  if (s.summaryPath) {
    writeSummary(s.summaryPath, {
      ok: code === 0,
      error: failure,
      seed: s.seed,
      runtimeMs: elapsedMs(),
      ...summaryOf(current, tickets, result?.payout ?? null),
    });
  }
  return code;
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    explain(e);
    process.exit(1);
  });
