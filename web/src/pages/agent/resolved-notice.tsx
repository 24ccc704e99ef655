import { Alert, Text } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { money } from '../../ui/money';
import { formatInstant } from '../../ui/times';
import { useZone } from './use-profile';

/**
 * A ticket the agent resolved, read back: when, what they wrote, and what it paid. A ticket
 * withdrawn after the agent had written to the customer is paid as resolved, and says so; one
 * withdrawn after a reopen of this agent's resolution is not that case (their claim ended with
 * the reopen, and its earning was reversed).
 */
export function ResolvedNotice({ ticket }: { ticket: Schemas['AgentTicketDto'] }) {
  const zone = useZone();
  const claim = ticket.claims.find((c) => c.claimId === ticket.claimId);
  const reopened = Boolean(claim?.reopenedAt);
  const withdrawn = ticket.status === 'withdrawn' && !reopened;
  return (
    <Alert
      // A reopened resolution is not a success to show in green: its pay was reversed.
      color={withdrawn || reopened ? 'orange' : 'green'}
      title={
        withdrawn
          ? 'The customer left: the ticket was withdrawn'
          : reopened
            ? 'The company reopened your resolution'
            : 'You resolved this ticket'
      }
    >
      <Text size="sm">
        {withdrawn
          ? `You had written to the customer, so it is paid as resolved: ${money(ticket.pay)}.`
          : `${claim?.resolvedAt ? `Resolved ${formatInstant(claim.resolvedAt, zone)}. ` : ''}${
              claim?.reopenedAt
                ? `The company reopened it ${formatInstant(claim.reopenedAt, zone)}, which reversed its pay of ${money(ticket.pay)}.`
                : `Earned ${money(ticket.pay)}.`
            }`}
        {ticket.status === 'withdrawn' && reopened
          ? ' Later the customer left: the ticket was withdrawn.'
          : ''}
      </Text>
      {claim?.resolutionSummary && !withdrawn && (
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          Your summary: {claim.resolutionSummary}
        </Text>
      )}
    </Alert>
  );
}
