import type { Schemas } from '../api/client';
import { formatMoney } from './amounts';

export {
  amountProblem,
  CURRENCIES,
  formatMoney,
  MAX_AMOUNT_MINOR,
  MAX_SURGE_BUDGET_MINOR,
  minorDigits,
  toMinor,
} from './amounts';

export function money(value: Schemas['MoneyDto']): string {
  return formatMoney(value.amountMinor, value.currency);
}
