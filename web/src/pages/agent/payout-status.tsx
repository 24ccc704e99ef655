import { Alert, Badge, List, Stack, Text } from '@mantine/core';
import type { Schemas } from '../../api/client';

/** Stripe's requirement codes (`individual.dob.day`) in words people read. */
const requirementText = (code: string) =>
  code
    .replace(/^individual\./, '')
    .replaceAll('_', ' ')
    .replaceAll('.', ': ');

/** Whether payouts are enabled, and what Stripe still needs before they are. */
export function PayoutStatus({ account }: { account: Schemas['PayoutAccountView'] | null }) {
  if (!account) {
    return <Text>You have no payout account yet. Set one up with Stripe to be paid.</Text>;
  }
  if (account.closedReason) return <ClosedAccount account={account} />;
  return (
    <Stack gap="xs">
      <Text>
        Payouts:{' '}
        <Badge variant="light" color={account.payoutsEnabled ? 'green' : 'yellow'}>
          {account.payoutsEnabled ? 'Enabled' : 'Not enabled yet'}
        </Badge>
      </Text>
      {!account.detailsSubmitted && (
        <Text size="sm">Stripe has not received all your details.</Text>
      )}
      {account.requirements.length > 0 ? (
        <>
          <Text size="sm">Stripe still needs:</Text>
          <List size="sm" aria-label="What Stripe still needs">
            {account.requirements.map((code) => (
              <List.Item key={code}>{requirementText(code)}</List.Item>
            ))}
          </List>
        </>
      ) : (
        <Text size="sm">Stripe needs nothing more from you.</Text>
      )}
    </Stack>
  );
}

/** Why an account was closed, in words the agent reads. */
const CLOSED_TEXT: Record<NonNullable<Schemas['PayoutAccountView']['closedReason']>, string> = {
  deauthorized: 'This Stripe account was disconnected from Handoff.',
  rejected_by_handoff: 'Handoff closed payouts to this Stripe account.',
  rejected_by_stripe: 'Stripe closed this account.',
};

/**
 * A closed account is never paid again. Earnings stay in the balance: they go to a new account
 * when the agent may link one (`canLinkNew`), else our support team decides.
 */
function ClosedAccount({ account }: { account: Schemas['PayoutAccountView'] }) {
  return (
    <Alert color="red" title="Payouts: account closed">
      <Stack gap="xs">
        <Text size="sm">{CLOSED_TEXT[account.closedReason!]}</Text>
        <Text size="sm">
          {account.canLinkNew
            ? 'Link a new Stripe account to be paid again. What you have earned stays in your balance and is paid to the new account.'
            : 'You cannot link a new account yourself: contact our support team. What you have earned stays in your balance.'}
        </Text>
      </Stack>
    </Alert>
  );
}
