import { Badge } from '@mantine/core';

const RUN_COLORS: Record<string, string> = {
  draft: 'gray',
  approved: 'indigo',
  executing: 'yellow',
  completed: 'green',
  completed_with_failures: 'red',
  cancelled: 'gray',
};

const LINE_COLORS: Record<string, string> = {
  held: 'gray',
  pending: 'indigo',
  processing: 'yellow',
  paid: 'green',
  failed: 'red',
  abandoned: 'gray',
};

/** The API's words with spaces: `completed_with_failures` reads "completed with failures". */
export const words = (code: string) => code.replaceAll('_', ' ');

export function RunStatus({ status }: { status: string }) {
  return (
    <Badge variant="light" color={RUN_COLORS[status] ?? 'gray'}>
      {words(status)}
    </Badge>
  );
}

/**
 * A line's status; a paid line whose transfer Stripe reversed since says so (the money went back
 * to the agent's balance: "paid" alone read as settled).
 */
export function LineStatus({ status, reversed = false }: { status: string; reversed?: boolean }) {
  const paidBack = status === 'paid' && reversed;
  return (
    <Badge variant="light" color={paidBack ? 'orange' : (LINE_COLORS[status] ?? 'gray')}>
      {paidBack ? 'paid, reversed' : words(status)}
    </Badge>
  );
}

/** Why a line is held, for a person. */
export const HELD_REASONS: Record<string, string> = {
  no_account: 'No payout account',
  payouts_disabled: 'Stripe has not enabled payouts',
  below_minimum: 'Below the minimum payout',
  negative_balance: 'Balance is negative',
  unsettled_line: 'An earlier line is not settled',
  balance_changed: 'Balance fell below the minimum',
  insufficient_platform_balance: 'Platform balance could not cover it',
  payouts_disabled_since_draft: 'Stripe disabled payouts since the draft',
};
