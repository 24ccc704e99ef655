import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { startPeriodicTask } from '../../common/scheduling/periodic-task';
import { Env } from '../../config/env.validation';
import { CreditControlService } from './credit-control.service';
import { InvoiceClosingService } from './invoice-closing.service';

/**
 * Every BILLING_SWEEP_MS a worker process closes the billing periods that are due and
 * refreshes the companies' credit holds (the escalation flag reads them). Several
 * processes sweeping at once is safe (each company's invoicing is serialised in PostgreSQL, and
 * an entry is billed once by its key); a sweep still running skips the next tick.
 */
@Injectable()
export class InvoiceCloser implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InvoiceCloser.name);
  private task: { stop: () => Promise<void> } | null = null;

  constructor(
    private readonly closing: InvoiceClosingService,
    private readonly credit: CreditControlService,
    private readonly config: ConfigService<Env, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.task = startPeriodicTask(
      async () => {
        const { closed } = await this.closing.sweep();
        if (closed.length > 0) this.logger.log({ invoices: closed.length }, 'periods closed');
        // Holds the bot's escalations are flagged by: kept current even with no shift posted.
        await this.credit.refreshAll();
      },
      this.config.get('BILLING_SWEEP_MS', { infer: true }),
      this.logger,
      'billing sweep',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.task?.stop();
  }
}
