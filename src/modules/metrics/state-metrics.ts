import { Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { EventsService } from '../events/events.service';
import { QUEUE_NAMES, TIMER_JOB_NAMES, TimerJobName } from '../jobs/job-registry';
import { QueuesService } from '../jobs/queues.service';
import { OutboxService } from '../outbox/outbox.service';
import { PayoutRunsService } from '../payouts/payout-runs.service';
import { StripeEventsService } from '../payouts/stripe-events.service';
import { MetricsRegistry } from './metrics-registry';
import { scrapeSnapshot } from './scrape-snapshot';
import { TIMER_GRACE_MS, TIMER_QUEUES, timerJobsIn } from './timer-jobs';

type Source = 'queues' | 'outbox' | 'payouts' | 'events';
const SOURCES: Source[] = ['queues', 'outbox', 'payouts', 'events'];

/**
 * State read at scrape time from PostgreSQL and Redis (through the owning modules): queue
 * depths, the outbox relay's lag, overdue and failed timers, payout runs' progress, Stripe
 * events not applied, the events sequencer's lag. Every API or
 * worker process reports the same values: aggregate with max(), not sum(). A source that cannot
 * be read drops its gauges from the scrape (no stale numbers) and reads 0 in
 * handoff_metrics_source_up; the rest of the scrape still answers.
 */
@Injectable()
export class StateMetrics {
  private readonly logger = new Logger(StateMetrics.name);
  private readonly lastWarned = new Map<Source, number>();

  private readonly scrape = () => this.metrics.scrape;
  private readonly queues = scrapeSnapshot(this.scrape, async () => {
    const counts = await Promise.all(
      QUEUE_NAMES.map(async (name) => ({
        name,
        counts: await this.queueService
          .get(name)
          .getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed'),
      })),
    );
    const timers = await Promise.all(
      TIMER_QUEUES.map((q) => timerJobsIn(this.queueService.get(q))),
    );
    const sum = (pick: 'overdue' | 'failed') => {
      const out = new Map<TimerJobName, number>(TIMER_JOB_NAMES.map((j) => [j, 0]));
      for (const t of timers) for (const [job, n] of t[pick]) out.set(job, out.get(job)! + n);
      return out;
    };
    return { counts, overdue: sum('overdue'), failed: sum('failed') };
  });
  private readonly outbox = scrapeSnapshot(this.scrape, () =>
    this.outboxService.dueUnsent(TIMER_GRACE_MS / 1000),
  );
  private readonly payouts = scrapeSnapshot(this.scrape, async () => ({
    lines: await this.payoutRuns.progress(),
    stripeEvents: await this.stripeEvents.unprocessed(),
  }));
  private readonly events = scrapeSnapshot(this.scrape, () =>
    this.eventsService.unpositionedAgeSeconds(),
  );

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly queueService: QueuesService,
    private readonly outboxService: OutboxService,
    private readonly payoutRuns: PayoutRunsService,
    private readonly stripeEvents: StripeEventsService,
    private readonly eventsService: EventsService,
  ) {
    const registers = [metrics.registry];
    const read = this.read.bind(this);

    const queueJobs: Gauge<'queue' | 'state'> = new Gauge({
      name: 'handoff_queue_jobs',
      help: 'Jobs in each queue by state: waiting (depth), active, delayed (timers and backoffs), failed (retries exhausted, kept 14 days).',
      labelNames: ['queue', 'state'],
      registers,
      collect: () =>
        read(queueJobs, 'queues', this.queues, ({ counts }) => {
          for (const { name: queue, counts: c } of counts) {
            queueJobs.set({ queue, state: 'waiting' }, (c.wait ?? 0) + (c.prioritized ?? 0));
            for (const state of ['active', 'delayed', 'failed'])
              queueJobs.set({ queue, state }, c[state] ?? 0);
          }
        }),
    });

    const outboxDue: Gauge<string> = new Gauge({
      name: 'handoff_outbox_due_unsent',
      help: 'Outbox rows due (run_at <= now) that the relay has not sent to the queues yet.',
      registers,
      collect: () =>
        read(outboxDue, 'outbox', this.outbox, (rows) =>
          outboxDue.set(rows.reduce((n, r) => n + r.due, 0)),
        ),
    });
    const outboxLag: Gauge<string> = new Gauge({
      name: 'handoff_outbox_lag_seconds',
      help: 'Age of the oldest due outbox row not yet sent to the queues (0 when none): the relay lag.',
      registers,
      collect: () =>
        read(outboxLag, 'outbox', this.outbox, (rows) =>
          outboxLag.set(Math.max(0, ...rows.map((r) => r.oldest_age_seconds))),
        ),
    });

    // Two sources, one number per timer: overdue is overdue wherever it waits.
    const timersOverdue: Gauge<'timer'> = new Gauge({
      name: 'handoff_timers_overdue',
      help: 'Timer jobs due over a minute ago and not run: unsent outbox rows plus delayed jobs no worker promoted.',
      labelNames: ['timer'],
      registers,
      collect: async () => {
        const [fromOutbox, fromQueues] = await Promise.allSettled([this.outbox(), this.queues()]);
        if (fromOutbox.status === 'rejected' || fromQueues.status === 'rejected') {
          timersOverdue.reset();
          return;
        }
        for (const job of TIMER_JOB_NAMES) {
          const unsent = fromOutbox.value.find((r) => r.job_name === job)?.late ?? 0;
          timersOverdue.set({ timer: job }, unsent + fromQueues.value.overdue.get(job)!);
        }
      },
    });
    const timersFailed: Gauge<'timer'> = new Gauge({
      name: 'handoff_timers_failed',
      help: 'Timer jobs in the failed set: retries exhausted, waiting for the sweep to re-arm them or for an operator.',
      labelNames: ['timer'],
      registers,
      collect: () =>
        read(timersFailed, 'queues', this.queues, ({ failed }) => {
          for (const [timer, n] of failed) timersFailed.set({ timer }, n);
        }),
    });

    const runLines: Gauge<'run_status' | 'line_status'> = new Gauge({
      name: 'handoff_payout_run_lines',
      help: 'Lines of payout runs in progress (draft, approved, executing) by status, and failed lines of runs completed with failures.',
      labelNames: ['run_status', 'line_status'],
      registers,
      collect: () =>
        read(runLines, 'payouts', this.payouts, ({ lines }) => {
          for (const r of lines)
            runLines.set({ run_status: r.run_status, line_status: r.line_status }, r.lines);
        }),
    });

    const stripeUnapplied: Gauge<string> = new Gauge({
      name: 'handoff_stripe_events_unapplied',
      help: 'Stripe events stored and not applied yet: retrying, or given up (transfer reversals, which may wait for their payout line, are left out).',
      registers,
      collect: () =>
        read(stripeUnapplied, 'payouts', this.payouts, ({ stripeEvents }) =>
          stripeUnapplied.set(stripeEvents.count),
        ),
    });
    const stripeUnappliedAge: Gauge<string> = new Gauge({
      name: 'handoff_stripe_events_unapplied_age_seconds',
      help: 'Age of the oldest Stripe event stored and not applied yet (0 when none).',
      registers,
      collect: () =>
        read(stripeUnappliedAge, 'payouts', this.payouts, ({ stripeEvents }) =>
          stripeUnappliedAge.set(stripeEvents.oldestAgeSeconds),
        ),
    });

    const eventsLag: Gauge<string> = new Gauge({
      name: 'handoff_events_unpositioned_age_seconds',
      help: 'Age of the oldest committed event without a position (0 when none): readers and streams see an event only once positioned.',
      registers,
      collect: () => read(eventsLag, 'events', this.events, (age) => eventsLag.set(age)),
    });

    const sourceUp: Gauge<'source'> = new Gauge({
      name: 'handoff_metrics_source_up',
      help: '1 when this scrape could read the source (queues: Redis; outbox, payouts, events: PostgreSQL), else 0.',
      labelNames: ['source'],
      registers,
      collect: async () => {
        const snapshots = {
          queues: this.queues,
          outbox: this.outbox,
          payouts: this.payouts,
          events: this.events,
        };
        const results = await Promise.allSettled(SOURCES.map((s) => snapshots[s]()));
        SOURCES.forEach((source, i) => {
          sourceUp.set({ source }, results[i].status === 'fulfilled' ? 1 : 0);
        });
      },
    });
  }

  /** Fills `gauge` from a source's snapshot, or empties it (and says why) when unreadable. */
  private async read<T>(
    gauge: Gauge<string>,
    source: Source,
    snapshot: () => Promise<T>,
    fill: (value: T) => void,
  ): Promise<void> {
    try {
      const value = await snapshot();
      // Nothing left from the last scrape (a run that finished), in one step with the refill.
      gauge.reset();
      fill(value);
    } catch (e) {
      gauge.reset();
      this.warn(source, e);
    }
  }

  private warn(source: Source, e: unknown): void {
    if (Date.now() - (this.lastWarned.get(source) ?? 0) < 60_000) return;
    this.lastWarned.set(source, Date.now());
    this.logger.warn({ err: e, source }, 'metrics: source unreadable; its gauges are left out');
  }
}
