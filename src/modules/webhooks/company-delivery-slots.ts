import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../../config/env.validation';

/**
 * How many of this process's webhook slots (WEBHOOK_CONCURRENCY) each company holds now, capped
 * at WEBHOOK_CONCURRENCY_PER_COMPANY. Without it, a company whose receiver hangs filled every
 * slot for WEBHOOK_TIMEOUT_MS at a time with its backlog, and every other company's deliveries
 * waited behind it. Per process, as the slots are: each worker process protects its own.
 */
@Injectable()
export class CompanyDeliverySlots {
  private readonly held = new Map<string, number>();
  private readonly share: number;

  constructor(config: ConfigService<Env, true>) {
    this.share = config.get('WEBHOOK_CONCURRENCY_PER_COMPANY', { infer: true });
  }

  /** Takes one of the company's slots; false when it holds its share already. */
  tryTake(companyId: string): boolean {
    const now = this.held.get(companyId) ?? 0;
    if (now >= this.share) return false;
    this.held.set(companyId, now + 1);
    return true;
  }

  release(companyId: string): void {
    const now = this.held.get(companyId) ?? 0;
    if (now <= 1) this.held.delete(companyId);
    else this.held.set(companyId, now - 1);
  }

  /**
   * How long a delivery over its company's share waits before it is tried again: about a
   * second, spread so that a backlog comes back a little at a time, not in one wave.
   */
  deferMs(): number {
    return 500 + Math.floor(Math.random() * 1000);
  }
}
