import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule } from '@bull-board/nestjs';
import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { errorBody, toDomainError } from '../../common/errors/all-exceptions.filter';
import { noteErrorCode } from '../../common/logging/request-log';
import { CompaniesModule } from '../companies/companies.module';
import { EventsModule } from '../events/events.module';
import { QUEUE_NAMES, type QueueName } from '../jobs/job-registry';
import { JobsModule } from '../jobs/jobs.module';
import { UsersModule } from '../users/users.module';
import { DomainError } from '../../common/errors/domain-error';
import { QueuesService } from '../jobs/queues.service';
import { dashboardRequestAllowed, RedactingBullMQAdapter, RETRY_JOB } from './dashboard-limits';
import { QUEUE_DASHBOARD_PATH, QueueDashboardAccess } from './queue-dashboard-access.service';
import { QueueDashboardSessions } from './queue-dashboard-sessions.service';
import { QueueDashboardController } from './queue-dashboard.controller';

/**
 * The access check on every request under QUEUE_DASHBOARD_PATH, as a Fastify hook: bull-board's
 * plugin loads when the server starts, after this, and its routes take the hook with them.
 */
@Injectable()
class QueueDashboardGate implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly access: QueueDashboardAccess,
    private readonly queues: QueuesService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onRequest', async (request, reply) => {
      // By the route the router matched, not the URL as sent: the router ignores letter case
      // and decodes %xx, so "/ADMIN/QUEUES/api/queues" or "/%61dmin/queues" reach bull-board's
      // routes too (they are plain Fastify routes: no Nest guard stands in front of them). The
      // URL, normalised the same way, covers what matched no route or only the console's
      // catch-all; any other route (every API call) is decided without decoding its URL.
      const route = request.routeOptions.url;
      const matched = route !== undefined && route !== CATCH_ALL;
      if (matched ? !underDashboard(route) : !underDashboard(normalised(request.url))) return;
      try {
        await this.access.authorize(request, reply);
        const params = (request.params ?? {}) as Record<string, string | undefined>;
        if (!dashboardRequestAllowed(request.method, route, params)) throw changeRefused();
        if (`${request.method} ${route}` === RETRY_JOB) {
          await this.retryIfFailed(params);
          return reply.status(204).send();
        }
      } catch (err) {
        // Answered here, in the one error shape: bull-board's plugin has an error handler of
        // its own (a bare 500) that a thrown refusal would reach.
        const error = toDomainError(err);
        if (!error) throw err;
        noteErrorCode(reply.raw, error.code);
        return reply.status(error.status).send(errorBody(error, request.id));
      }
    });
  }

  /**
   * One job's retry, made here rather than by bull-board: its handler reads the job's state
   * and retries the job from whatever that state is, so a job checked as failed that ran and
   * completed in between would run again. BullMQ's retry from `failed` moves the job only if it
   * is in the failed set, in one script. An unknown queue or job is a 404 here too: passed on
   * to bull-board, a job made meanwhile would meet its handler.
   */
  private async retryIfFailed(params: Record<string, string | undefined>): Promise<void> {
    const { queueName, jobId } = params;
    if (!QUEUE_NAMES.includes(queueName as QueueName) || !jobId) throw DomainError.notFound('Job');
    const job = await this.queues.get(queueName as QueueName).getJob(jobId);
    if (!job) throw DomainError.notFound('Job');
    try {
      await job.retry('failed');
    } catch (err) {
      const state = await job.getState();
      if (state === 'unknown') throw DomainError.notFound('Job'); // removed meanwhile
      if (state !== 'failed') throw changeRefused();
      throw err;
    }
  }
}

const changeRefused = () =>
  new DomainError(
    'FORBIDDEN',
    'The queue dashboard retries failed jobs and pauses or resumes queues; it changes nothing else',
  );

/** The console's page fallback (ConsoleModule): it matches any path no other route does. */
const CATCH_ALL = '/*';

const underDashboard = (path: string | undefined) =>
  path !== undefined &&
  (path === QUEUE_DASHBOARD_PATH || path.startsWith(`${QUEUE_DASHBOARD_PATH}/`));

/** The URL's path as the router reads it: decoded, in lower case, without repeated slashes. */
function normalised(url: string): string {
  const path = url.split('?')[0];
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Not decodable: the router refuses it before any hook (frameworkErrors).
  }
  return decoded.toLowerCase().replace(/\/{2,}/g, '/');
}

/** Who may open the dashboard; its own module so bull-board's root module can inject it. */
@Module({
  // EventHub: when the admin's sessions were last ended (a sign-out ends its dashboard's too).
  imports: [UsersModule, CompaniesModule, EventsModule],
  providers: [QueueDashboardAccess, QueueDashboardSessions],
  exports: [QueueDashboardAccess, QueueDashboardSessions],
})
export class QueueDashboardAccessModule {}

/**
 * The queue dashboard (bull-board) at /admin/queues for admins: every queue, its jobs and their
 * data (request ids and sweep counts included, see job-meta.ts; customers' text not shown),
 * retries of failed jobs, pausing a queue; nothing else (dashboard-limits.ts). It
 * reads the queues JobsModule registers in every process, so an API process without workers
 * shows them too.
 */
@Module({
  imports: [
    QueueDashboardAccessModule,
    JobsModule,
    BullBoardModule.forRootAsync({
      imports: [QueueDashboardAccessModule],
      useFactory: () => ({
        route: QUEUE_DASHBOARD_PATH,
        // @bull-board/fastify pins @bull-board/api exactly: package.json pins all three to one
        // version so a single copy of the API's classes is installed.
        adapter: FastifyAdapter,
        boardOptions: { uiConfig: { boardTitle: 'Handoff queues' } },
      }),
    }),
    BullBoardModule.forFeature(
      ...QUEUE_NAMES.map((name) => ({ name, adapter: RedactingBullMQAdapter })),
    ),
  ],
  controllers: [QueueDashboardController],
  providers: [QueueDashboardGate],
})
export class QueueDashboardModule {}
