import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { Env } from '../../config/env.validation';
import { typeormOptions } from '../../database/typeorm-options';

/**
 * The readiness check's own connection to PostgreSQL (a pool of one), opened on first use.
 * Through the pool requests and jobs share, a burst of jobs (a payout run, a webhook replay)
 * made the check wait past its limit in the pool's queue: a busy, healthy process answered
 * 503, and a balancer took every process out at once. This asks whether PostgreSQL answers,
 * which is what readiness means.
 */
@Injectable()
export class ReadinessDatabase implements OnModuleDestroy {
  private source?: Promise<DataSource>;

  constructor(private readonly config: ConfigService<Env, true>) {}

  /** The connection, opened now if it is not (a failed opening is tried again next time). */
  connection(): Promise<DataSource> {
    if (this.source) return this.source;
    const opening: Promise<DataSource> = new DataSource({
      ...typeormOptions(this.config.get('DATABASE_URL', { infer: true })!, 1),
      migrations: [],
    })
      .initialize()
      .catch((e: unknown) => {
        // Only its own: a newer one may have replaced it since.
        if (this.source === opening) this.source = undefined;
        throw e;
      });
    this.source = opening;
    return opening;
  }

  /**
   * Forgets this connection (a ping it did not answer), if it is still the current one: the
   * next check opens another. Closed in the background, since closing waits for the query a
   * half-open socket never answers.
   */
  reset(source: Promise<DataSource>): void {
    // Another check may have reset it already and opened another: that one stays.
    if (this.source !== source) return;
    this.source = undefined;
    void source.then((s) => (s.isInitialized ? s.destroy() : undefined)).catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    const source = await this.source?.catch(() => undefined);
    if (source?.isInitialized) await source.destroy();
  }
}
