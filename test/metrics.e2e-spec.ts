import { Worker } from 'bullmq';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { redisOptionsFromUrl } from '../src/modules/jobs/redis-options';
import { PayoutRunsService } from '../src/modules/payouts/payout-runs.service';
import { StripeEventsService } from '../src/modules/payouts/stripe-events.service';
import { serveWorkerMetrics } from '../src/modules/metrics/worker-metrics.server';
import { STRIPE_SETTINGS, StripeSettings } from '../src/modules/stripe/stripe.module';
import { createApiKey, createStaff, registerCompany, SignedIn } from './support/factories';
import { payableAgents } from './support/faults-payouts';
import { freePort } from './support/processes';
import { TEST_REDIS_URL } from './support/services';
import { createTestApp, TestApp } from './support/test-app';
import { escalate, liveAgents } from './support/tickets';
import { waitFor, waitUntil } from './support/wait-for';
import { closedPort, slaBreachNow } from './support/webhooks';

const PROMTOOL = '/usr/bin/promtool';
const ROOT = join(__dirname, '..');
const newToken = () => `metrics-${randomBytes(16).toString('hex')}`;

/** A sample's value in a scrape (the first series with these labels, among others), or undefined. */
function sample(scrape: string, name: string, labels: Record<string, string> = {}) {
  for (const line of scrape.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:\\.|[^"\\])*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Every value a label takes in a metric's series. */
function labelValues(scrape: string, name: string, label: string): string[] {
  const re = new RegExp(`^${name}\\{[^}]*\\b${label}="([^"]*)"`, 'gm');
  return [...new Set([...scrape.matchAll(re)].map((m) => m[1]))].sort();
}

function promtool(args: string[], input?: string): { ok: boolean; output: string } {
  try {
    const out = execFileSync(PROMTOOL, args, { input, cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('/metrics', () => {
  // Three apps in one process, each with its own registry: tokens, workers and counts apart.
  let t: TestApp; // workers on: the journey's jobs run here
  let idle: TestApp; // workers off: outbox rows and queued jobs stay where they are put
  let none: TestApp; // no METRICS_TOKEN
  const token = newToken();
  const idleToken = newToken();

  beforeAll(async () => {
    [t, idle, none] = await Promise.all([
      createTestApp({
        workers: true,
        env: {
          METRICS_TOKEN: token,
          WEBHOOK_ATTEMPTS: '1',
          PAYOUT_MINIMUM_MINOR: '100',
          OUTBOX_POLL_MS: '100',
        },
      }),
      createTestApp({ env: { METRICS_TOKEN: idleToken } }),
      createTestApp(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), idle?.close(), none?.close()]);
  });

  const scrape = async (app: TestApp, bearer: string) => {
    const res = await app.http.get('/metrics').set('Authorization', `Bearer ${bearer}`).expect(200);
    return res.text;
  };

  describe('access', () => {
    it('answers 404 when METRICS_TOKEN is unset, exactly as an unknown path does', async () => {
      const res = await none.http.get('/metrics').set('Authorization', 'Bearer anything-at-all');
      // Under /v1: any other unknown GET is the console's page (its router decides).
      const unknown = await none.http.get('/v1/no-such-path');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe(unknown.body.error.code);
      expect(res.body.error.message).toBe('Cannot GET /metrics');
      expect(unknown.body.error.message).toBe('Cannot GET /v1/no-such-path');
    });

    it('answers 401 without the token or with a wrong one, naming the scheme', async () => {
      const wrong = [
        undefined,
        'Bearer',
        `Bearer ${token}x`,
        `Bearer ${token.slice(0, -1)}`,
        `Bearer ${idleToken}`, // another deployment's token
        `Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
        `Bearer ${token} extra`,
      ];
      for (const header of wrong) {
        const req = t.http.get('/metrics');
        const res = await (header ? req.set('Authorization', header) : req);
        expect({ header, status: res.status, code: res.body.error?.code }).toEqual({
          header,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
        expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      }
    });

    it("ignores users' tokens and bots' keys: only the metrics token opens it", async () => {
      const co = await registerCompany(t);
      await t.http.get('/metrics').set(co.auth).expect(401);
      const key = await createApiKey(t, co);
      await t.http.get('/metrics').set('Authorization', `Bearer ${key}`).expect(401);
    });

    it('answers 200 with the token, in the text format promtool accepts', async () => {
      const res = await t.http.get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; .*version=0\.0\.4/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(sample(res.text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      const check = promtool(['check', 'metrics'], res.text);
      expect(check).toEqual({ ok: true, output: '' });
    });

    it('is left out of the OpenAPI document', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: object };
      expect(Object.keys(doc.paths).filter((p) => p.includes('metrics'))).toEqual([]);
    });
  });

  describe('HTTP requests', () => {
    it('labels requests with the route template, never the raw path', async () => {
      const id = randomUUID();
      await t.http.get(`/v1/nothing/here/${id}`).expect(404);
      await t.http.get(`/v1/tickets/${id}`).expect(401);
      const text = await scrape(t, token);
      expect(text).not.toContain(id);
      const labels = { method: 'GET', route: '/v1/tickets/:id', status: '401' };
      expect(sample(text, 'handoff_http_requests_total', labels)).toBe(1);
      expect(
        sample(text, 'handoff_http_requests_total', { route: '(unmatched)', status: '404' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'handoff_http_request_duration_seconds_count', {
          method: 'GET',
          route: '/v1/tickets/:id',
          status_class: '4xx',
        }),
      ).toBe(1);
    });
  });

  describe('a journey: shift, escalation, claim, resolve, claim-next, SLA breach', () => {
    let company: SignedIn;
    let botKey: string;
    let agent: SignedIn;
    const ids: string[] = [];

    beforeAll(async () => {
      company = await registerCompany(t, 'Metrics Co');
      botKey = await createApiKey(t, company);
      // Every ticket event goes to a webhook where nothing listens: one failure each, final.
      await t.http
        .put('/v1/companies/me/webhook')
        .set(company.auth)
        .send({ url: `http://127.0.0.1:${await closedPort()}/hook` })
        .expect(200);
      agent = (await liveAgents(t, company.auth, 1)).agents[0];
    });

    it('counts claims and resolutions once each, after they commit', async () => {
      const before = await scrape(t, token);
      expect(sample(before, 'handoff_ticket_claims_total', { path: 'by_id' })).toBe(0);
      expect(sample(before, 'handoff_ticket_resolutions_total')).toBe(0);

      const first = await escalate(t, botKey);
      const second = await escalate(t, botKey);
      ids.push(first.id, second.id, company.companyId!, agent.id);
      await t.http.post(`/v1/tickets/${first.id}/claim`).set(agent.auth).expect(200);
      // The agent's own claim again answers the same claim: no new claim, not counted.
      await t.http.post(`/v1/tickets/${first.id}/claim`).set(agent.auth).expect(200);
      const resolve = () =>
        t.http
          .post(`/v1/tickets/${first.id}/resolve`)
          .set(agent.auth)
          .send({ resolutionSummary: 'Refund re-issued' });
      await resolve().expect(200);
      await resolve().expect(200); // a retry: nothing written, not counted
      const next = await t.http
        .post('/v1/agents/me/tickets/claim-next')
        .set(agent.auth)
        .expect(200);
      expect(next.body.id).toBe(second.id);
      // Refused (the ticket is taken): no claim.
      const other = (await liveAgents(t, company.auth, 1)).agents[0];
      await t.http.post(`/v1/tickets/${second.id}/claim`).set(other.auth).expect(409);

      const text = await scrape(t, token);
      expect(sample(text, 'handoff_ticket_claims_total', { path: 'by_id' })).toBe(1);
      expect(sample(text, 'handoff_ticket_claims_total', { path: 'next' })).toBe(1);
      expect(sample(text, 'handoff_ticket_resolutions_total')).toBe(1);
      const resolveRoute = { method: 'POST', route: '/v1/tickets/:id/resolve', status: '200' };
      expect(sample(text, 'handoff_http_requests_total', resolveRoute)).toBe(2);
      expect(
        sample(text, 'handoff_http_requests_total', {
          route: '/v1/agents/me/tickets/claim-next',
          status: '200',
        }),
      ).toBe(1);
      // Templates only: no ticket, company or agent id, no email, anywhere in the scrape.
      for (const id of ids) expect(text).not.toContain(id);
      expect(text).not.toContain('@');
      expect(labelValues(text, 'handoff_http_requests_total', 'route')).toEqual(
        expect.arrayContaining(['/v1/escalations', '/v1/tickets/:id/claim']),
      );
    });

    it('counts SLA breaches in the worker and failed webhook deliveries', async () => {
      await slaBreachNow(t, botKey);
      const text = await waitFor(async () => {
        const s = await scrape(t, token);
        return sample(s, 'handoff_ticket_sla_breaches_total') === 1 && s;
      }, 'the SLA breach to be counted');
      const failures = await waitUntil(
        async () =>
          sample(await scrape(t, token), 'handoff_webhook_delivery_failures_total', {
            kind: 'connection_refused',
            final: 'true',
          }),
        (n) => (n ?? 0) >= 1,
        'a failed delivery to be counted',
      );
      expect(failures).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'handoff_webhook_delivery_failures_total', { kind: 'timeout', final: 'true' }),
      ).toBe(0);
    });
  });

  describe('state read at scrape time', () => {
    it('reports the outbox lag: the age of the oldest due row not yet relayed', async () => {
      // No relay runs in `idle`: whatever is written stays unsent.
      const before = await scrape(idle, idleToken);
      expect(sample(before, 'handoff_outbox_lag_seconds')).toBe(0);
      expect(sample(before, 'handoff_outbox_due_unsent')).toBe(0);
      await idle.db.query(
        `INSERT INTO outbox (job_name, payload, run_at) VALUES
           ('ticket.sla-check', $1, now() - interval '5 minutes'),
           ('ticket.claimed', $2, now() - interval '20 seconds'),
           ('ticket.sla-check', $1, now() + interval '1 hour')`,
        // A ticket event has its company (the events store keeps a copy for it).
        [{ ticketId: randomUUID() }, { ticketId: randomUUID(), companyId: randomUUID() }],
      );
      const text = await scrape(idle, idleToken);
      expect(sample(text, 'handoff_outbox_lag_seconds')).toBeGreaterThanOrEqual(300);
      expect(sample(text, 'handoff_outbox_lag_seconds')).toBeLessThan(400);
      expect(sample(text, 'handoff_outbox_due_unsent')).toBe(2); // not the one due in an hour
      // Overdue (due over a minute ago) and a timer: only the first row.
      expect(sample(text, 'handoff_timers_overdue', { timer: 'ticket.sla-check' })).toBe(1);
      expect(sample(text, 'handoff_metrics_source_up', { source: 'outbox' })).toBe(1);
      await idle.db.query(`DELETE FROM outbox`);
      expect(sample(await scrape(idle, idleToken), 'handoff_outbox_lag_seconds')).toBe(0);
    });

    it('reports Stripe events not applied, and stripe:replay sends them to their job again', async () => {
      const before = await scrape(idle, idleToken);
      expect(sample(before, 'handoff_stripe_events_unapplied')).toBe(0);
      expect(sample(before, 'handoff_stripe_events_unapplied_age_seconds')).toBe(0);
      await idle.db.query(
        `INSERT INTO stripe_events (id, type, created, payload, received_at, processed_at) VALUES
           ('evt_gave_up', 'invoice.paid', now(), '{}', now() - interval '2 hours', NULL),
           ('evt_applied', 'invoice.paid', now(), '{}', now() - interval '3 hours', now()),
           ('evt_waits', 'transfer.reversed', now(), '{}', now() - interval '3 days', NULL)`,
      );
      const text = await scrape(idle, idleToken);
      expect(sample(text, 'handoff_stripe_events_unapplied')).toBe(1);
      expect(sample(text, 'handoff_stripe_events_unapplied_age_seconds')).toBeGreaterThanOrEqual(
        7200,
      );
      expect(sample(text, 'handoff_stripe_events_unapplied_age_seconds')).toBeLessThan(7300);

      // A transfer reversal waiting for its line is left out of the gauges (it can wait for
      // days) but sent again too: applying it then waits again, or applies it.
      await expect(idle.app.get(StripeEventsService).replayUnprocessed()).resolves.toBe(2);
      const jobs: { payload: unknown }[] = await idle.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'stripe.event' ORDER BY id`,
      );
      expect(jobs).toEqual([
        { payload: { eventId: 'evt_waits' } },
        { payload: { eventId: 'evt_gave_up' } },
      ]);
      await idle.db.query(`DELETE FROM outbox`);
      await idle.db.query(`DELETE FROM stripe_events`);
    });

    it('reports the events sequencer lag: the age of the oldest committed event with no position', async () => {
      const lag = async () =>
        sample(await scrape(idle, idleToken), 'handoff_events_unpositioned_age_seconds');
      // Events other tests wrote are positioned within moments.
      await waitFor(async () => (await lag()) === 0, 'no event waiting');
      // A transaction still running holds back the positions of every later commit.
      const holder = idle.db.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      try {
        await holder.query('SELECT pg_current_xact_id()');
        await idle.db.query(
          `INSERT INTO events (type, finance, data, occurred_at)
           VALUES ('test.lag', true, '{}', now() - interval '5 minutes')`,
        );
        const text = await scrape(idle, idleToken);
        expect(sample(text, 'handoff_events_unpositioned_age_seconds')).toBeGreaterThanOrEqual(300);
        expect(sample(text, 'handoff_events_unpositioned_age_seconds')).toBeLessThan(400);
        expect(sample(text, 'handoff_metrics_source_up', { source: 'events' })).toBe(1);
      } finally {
        await holder.rollbackTransaction();
        await holder.release();
      }
      // Once it ends, the sequencer positions the event (polling) and the lag is gone.
      await waitFor(async () => (await lag()) === 0, 'the event to be positioned');
    });

    it('reports queue depths, failed timers and delayed timers no worker promoted', async () => {
      const queues = idle.app.get(QueuesService);
      const queue = queues.get('default');
      await queues.get('webhooks').add('webhook.deliver', { deliveryId: randomUUID() });
      // A timer whose retries ran out, failed by a worker of our own.
      await queue.add('ticket.handle-timeout', { claimId: randomUUID() }, { attempts: 1 });
      const worker = new Worker(
        'default',
        async () => {
          throw new Error('boom');
        },
        {
          connection: { ...redisOptionsFromUrl(TEST_REDIS_URL), maxRetriesPerRequest: null },
          prefix: idle.env.QUEUE_PREFIX,
        },
      );
      try {
        await waitFor(async () => (await queue.getFailedCount()) === 1, 'the job to fail');
      } finally {
        await worker.close();
      }
      // Delayed jobs: BullMQ scores its delayed set timestamp * 0x1000; one moved 5 minutes
      // into the past is what a queue nobody works looks like.
      const late = await queue.add('shift.complete', { shiftId: randomUUID() }, { delay: 3600e3 });
      const event = await queue.add('system.ping', { requestedAt: '' }, { delay: 3600e3 });
      await queue.add('ticket.sla-check', { ticketId: randomUUID() }, { delay: 3600e3 });
      for (const job of [late, event]) {
        await idle.redis.zadd(queue.keys.delayed, 'XX', (Date.now() - 300e3) * 0x1000, job.id!);
      }

      const text = await scrape(idle, idleToken);
      const jobs = (queue: string, state: string) =>
        sample(text, 'handoff_queue_jobs', { queue, state });
      expect(jobs('webhooks', 'waiting')).toBe(1);
      expect(jobs('default', 'failed')).toBe(1);
      expect(jobs('default', 'delayed')).toBe(3);
      expect(jobs('payouts', 'active')).toBe(0);
      expect(sample(text, 'handoff_timers_failed', { timer: 'ticket.handle-timeout' })).toBe(1);
      expect(sample(text, 'handoff_timers_failed', { timer: 'ticket.sla-check' })).toBe(0);
      // The overdue timer, not the overdue ping (not a timer), not the timer due in an hour.
      expect(sample(text, 'handoff_timers_overdue', { timer: 'shift.complete' })).toBe(1);
      expect(sample(text, 'handoff_timers_overdue', { timer: 'ticket.sla-check' })).toBe(0);
      expect(sample(text, 'handoff_metrics_source_up', { source: 'queues' })).toBe(1);
    });

    it('still answers when a source cannot be read, leaving out its gauges', async () => {
      const runs = idle.app.get(PayoutRunsService);
      const spy = jest.spyOn(runs, 'progress').mockRejectedValueOnce(new Error('db down'));
      try {
        const text = await scrape(idle, idleToken);
        expect(sample(text, 'handoff_metrics_source_up', { source: 'payouts' })).toBe(0);
        expect(sample(text, 'handoff_metrics_source_up', { source: 'outbox' })).toBe(1);
        expect(text).not.toMatch(/^handoff_payout_run_lines\{/m);
        expect(sample(text, 'handoff_outbox_lag_seconds')).toBe(0);
        expect(promtool(['check', 'metrics'], text)).toEqual({ ok: true, output: '' });
        expect(spy).toHaveBeenCalledTimes(1); // once for its two gauges
      } finally {
        spy.mockRestore();
      }
      const text = await scrape(idle, idleToken);
      expect(sample(text, 'handoff_metrics_source_up', { source: 'payouts' })).toBe(1);
    });

    it("keeps each app's registry apart", async () => {
      const text = await scrape(idle, idleToken);
      expect(sample(text, 'handoff_ticket_claims_total', { path: 'by_id' })).toBe(0);
      expect(sample(text, 'handoff_ticket_sla_breaches_total')).toBe(0);
    });
  });

  describe('payouts', () => {
    it('shows a run’s lines by state and counts lines paid and failed', async () => {
      const fake = t.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
      const [, refused] = await payableAgents(t, fake, 2);
      // Stripe refuses transfers to this one's account (a 400: the line fails for good).
      const [{ stripe_account_id }] = await t.db.query(
        'SELECT stripe_account_id FROM payout_accounts WHERE agent_id = $1',
        [refused],
      );
      fake.updateAccount(stripe_account_id, { capabilities: { transfers: 'inactive' } });
      const maker = await createStaff(t, 'finance');
      const checker = await createStaff(t, 'finance');
      const draft = await t.http
        .post('/v1/payout-runs')
        .set(maker.auth)
        .send({ currency: 'EUR' })
        .expect(201);
      const lines = (text: string, run_status: string, line_status: string) =>
        sample(text, 'handoff_payout_run_lines', { run_status, line_status });
      expect(lines(await scrape(t, token), 'draft', 'pending')).toBe(2);

      await t.http.post(`/v1/payout-runs/${draft.body.id}/approve`).set(checker.auth).expect(200);
      await t.http.post(`/v1/payout-runs/${draft.body.id}/execute`).set(maker.auth).expect(202);
      await waitFor(async () => {
        const run = await t.http.get(`/v1/payout-runs/${draft.body.id}`).set(maker.auth);
        return run.body.status === 'completed_with_failures';
      }, 'the run to finish');

      const text = await scrape(t, token);
      expect(sample(text, 'handoff_payout_lines_total', { outcome: 'paid' })).toBe(1);
      expect(sample(text, 'handoff_payout_lines_total', { outcome: 'failed' })).toBe(1);
      // Finished runs drop out, but for their failed lines, which wait for finance.
      expect(labelValues(text, 'handoff_payout_run_lines', 'run_status')).toEqual([
        'completed_with_failures',
      ]);
      expect(lines(text, 'completed_with_failures', 'failed')).toBe(1);
    });
  });

  describe('a worker process', () => {
    it('serves the same registry on WORKER_METRICS_PORT, with the same token rules', async () => {
      const port = await freePort();
      const log = pino({ level: 'silent' });
      const server = await serveWorkerMetrics(
        idle.app,
        { ...idle.env, WORKER_METRICS_PORT: port, HOST: '127.0.0.1' },
        log,
      );
      try {
        const http = request(`http://127.0.0.1:${port}`);
        await http.get('/metrics').expect(401);
        await http.get('/metrics').set('Authorization', `Bearer ${token}`).expect(401);
        await http.get('/other').set('Authorization', `Bearer ${idleToken}`).expect(404);
        const res = await http
          .get('/metrics')
          .set('Authorization', `Bearer ${idleToken}`)
          .expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain; .*version=0\.0\.4/);
        expect(
          sample(res.text, 'handoff_queue_jobs', { queue: 'webhooks', state: 'waiting' }),
        ).toBe(1);
        expect(promtool(['check', 'metrics'], res.text)).toEqual({ ok: true, output: '' });
      } finally {
        await new Promise((r) => server!.close(r));
      }
      const unset = await serveWorkerMetrics(idle.app, { ...idle.env }, log);
      expect(unset).toBeUndefined();
    });
  });
});

describe('alert rules (docs/ops/alerts.yml)', () => {
  it('pass promtool check rules', () => {
    const check = promtool(['check', 'rules', 'docs/ops/alerts.yml']);
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.ok).toBe(true);
  });

  it('fire on sample series as their unit tests say (promtool test rules)', () => {
    const test = promtool(['test', 'rules', 'docs/ops/alerts.test.yml']);
    expect(test.output).toContain('SUCCESS');
    expect(test.ok).toBe(true);
  });
});
