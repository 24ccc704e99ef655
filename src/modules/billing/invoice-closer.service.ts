import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
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
  private interval: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly closing: InvoiceClosingService,
    private readonly credit: CreditControlService,
    private readonly config: ConfigService<Env, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.interval = setInterval(
      () => {
        if (this.running) return;
        this.running = this.closing
          .sweep()
          .then(({ closed }) => {
            if (closed.length > 0) this.logger.log({ invoices: closed.length }, 'periods closed');
          })
          .catch((e: unknown) =>
            this.logger.warn({ err: e }, 'billing sweep failed; next interval'),
          )
          .finally(() => (this.running = null));
      },
      this.config.get('BILLING_SWEEP_MS', { infer: true }),
    );
    this.interval.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    await this.running;
  }
}
