import { Badge, List, Stack, Text } from '@mantine/core';
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
