import { ConfigService } from '@nestjs/config';
import { CompanyDeliverySlots } from './company-delivery-slots';

const slots = (perCompany: number, timeoutMs = 10_000) =>
  new CompanyDeliverySlots(
    new ConfigService({
      WEBHOOK_CONCURRENCY_PER_COMPANY: perCompany,
      WEBHOOK_TIMEOUT_MS: timeoutMs,
    }) as never,
  );

describe('CompanyDeliverySlots', () => {
  it('gives each company its share, and a slot again once one is released', () => {
    const s = slots(2);
    expect([s.tryTake('a'), s.tryTake('a'), s.tryTake('a')]).toEqual([true, true, false]);
    expect(s.tryTake('b')).toBe(true);
    s.release('a');
    expect(s.tryTake('a')).toBe(true);
    expect(s.tryTake('a')).toBe(false);
  });

  it('waits about a second at first, doubling with each wait up to one attempt’s time', () => {
    const s = slots(1, 10_000);
    const range = (deferrals: number) => {
      const seen = Array.from({ length: 200 }, () => s.deferMs(deferrals));
      return [Math.min(...seen), Math.max(...seen)];
    };
    const [first, firstMost] = range(0);
    expect(first).toBeGreaterThanOrEqual(500);
    expect(firstMost).toBeLessThanOrEqual(1500);
    const [third, thirdMost] = range(2);
    expect(third).toBeGreaterThanOrEqual(2000);
    expect(thirdMost).toBeLessThanOrEqual(6000);
    const [late, lateMost] = range(50);
    expect(late).toBeGreaterThanOrEqual(5000);
    expect(lateMost).toBeLessThanOrEqual(15_000);
    // A count below zero (a job whose starts were not counted) is taken as none.
    expect(s.deferMs(-3)).toBeLessThanOrEqual(1500);
  });
});
