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
  private readonly longestMs: number;

  constructor(config: ConfigService<Env, true>) {
    this.share = config.get('WEBHOOK_CONCURRENCY_PER_COMPANY', { infer: true });
    this.longestMs = Math.max(2000, config.get('WEBHOOK_TIMEOUT_MS', { infer: true }));
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
   * How long a delivery over its company's share waits before it is tried again, after it
   * already waited `deferrals` times: about a second at first, doubling up to the time one
   * attempt may take (WEBHOOK_TIMEOUT_MS, at least 2 s), spread ±50 % so that a backlog comes
   * back a little at a time. A backlog behind a receiver that hangs then costs each job a visit
   * per attempt's time, not one a second.
   */
  deferMs(deferrals: number): number {
    const step = Math.min(this.longestMs, 1000 * 2 ** Math.max(0, Math.min(deferrals, 16)));
    return Math.round(step * (0.5 + Math.random()));
  }
}
