import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import type { Express } from 'express';
import { CompaniesModule } from '../companies/companies.module';
import { QUEUE_NAMES } from '../jobs/job-registry';
import { JobsModule } from '../jobs/jobs.module';
import { UsersModule } from '../users/users.module';
import { QUEUE_DASHBOARD_PATH, QueueDashboardAccess } from './queue-dashboard-access.service';
import { QueueDashboardSessions } from './queue-dashboard-sessions.service';
import { QueueDashboardController } from './queue-dashboard.controller';

/** bull-board's Express sub-app, without the X-Powered-By header the main app also drops. */
class DashboardExpressAdapter extends ExpressAdapter {
  constructor() {
    super();
    (this.getRouter() as Express).disable('x-powered-by');
  }
}

/** Who may open the dashboard; its own module so bull-board's root module can inject it. */
@Module({
  imports: [UsersModule, CompaniesModule],
  providers: [QueueDashboardAccess, QueueDashboardSessions],
  exports: [QueueDashboardAccess, QueueDashboardSessions],
})
export class QueueDashboardAccessModule {}

/**
 * The queue dashboard (bull-board) at /admin/queues for admins: every queue, its jobs and their
 * data (request ids and sweep counts included, see job-meta.ts), retries of failed jobs. It
 * reads the queues JobsModule registers in every process, so an API process without workers
 * shows them too.
 */
@Module({
  imports: [
    QueueDashboardAccessModule,
    JobsModule,
    BullBoardModule.forRootAsync({
      imports: [QueueDashboardAccessModule],
      inject: [QueueDashboardAccess],
      useFactory: (access: QueueDashboardAccess) => ({
        route: QUEUE_DASHBOARD_PATH,
        // @bull-board/express pins @bull-board/api exactly: package.json pins all three to one
        // version so a single copy of the API's classes is installed.
        adapter: DashboardExpressAdapter,
        middleware: access.middleware,
        boardOptions: { uiConfig: { boardTitle: 'Handoff queues' } },
      }),
    }),
    BullBoardModule.forFeature(...QUEUE_NAMES.map((name) => ({ name, adapter: BullMQAdapter }))),
  ],
  controllers: [QueueDashboardController],
})
export class QueueDashboardModule {}
