import type { Schemas } from '../../api/client';
import { formatMoney } from '../../ui/money';
import { LOCALE } from '../../ui/times';

/**
 * The surge in a pay line, or '' when none: " (surge ×1.25: +€0.50)". Fixed when the ticket was
 * claimed or offered, so it is part of what resolving pays.
 */
export function surgeText(surge: Schemas['SurgePayView'] | null, currency: string): string {
  if (!surge) return '';
  const times = (surge.multiplierBps / 10_000).toLocaleString(LOCALE, {
    maximumFractionDigits: 2,
  });
  return ` (surge ×${times}: +${formatMoney(surge.extraMinor, currency)})`;
}
