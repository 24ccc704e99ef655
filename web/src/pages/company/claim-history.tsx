import { Stack, Table, Text, Title } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { money } from '../../ui/money';
import { ScrollTable } from '../../ui/scroll-table';
import { formatInstant } from '../../ui/times';

type Claim = Schemas['TicketClaimView'];

/** Who or what gave a ticket back, in the company's words. */
const RELEASED_BY: Record<NonNullable<Claim['releasedBy']>, string> = {
  agent: 'by the agent',
  handle_timeout: 'no activity from the agent',
  shift_end: 'the shift ended',
  suspension: 'the agent was suspended',
  transfer: 'sent back to the queue for other skills',
  withdrawn: 'the customer left',
};

function outcome(c: Claim, zone: string): string {
  if (c.resolvedAt) {
    const reopened = c.reopenedAt ? ` (reopened ${formatInstant(c.reopenedAt, zone)})` : '';
    return `Resolved ${formatInstant(c.resolvedAt, zone)}${reopened}: ${c.resolutionSummary ?? ''}`;
  }
  if (c.releasedAt) {
    return `Released ${formatInstant(c.releasedAt, zone)} (${RELEASED_BY[c.releasedBy ?? 'agent']})${c.releaseReason ? `: ${c.releaseReason}` : ''}`;
  }
  return 'Working on it';
}

/** Who held the ticket, in order: when, how it ended, and what the resolution paid. */
export function ClaimHistory({ claims, zone }: { claims: Claim[]; zone: string }) {
  return (
    <Stack component="section" aria-labelledby="claims-heading" gap="sm">
      <Title order={2} id="claims-heading" size="h3">
        Claim history
      </Title>
      {claims.length === 0 ? (
        <Text size="sm">No agent has taken it yet.</Text>
      ) : (
        <ScrollTable label="Table of claims">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Claimed</Table.Th>
                <Table.Th>Outcome</Table.Th>
                <Table.Th>Pay</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {claims.map((c) => (
                <Table.Tr key={c.claimId}>
                  <Table.Td>{c.displayName}</Table.Td>
                  <Table.Td>{formatInstant(c.claimedAt, zone)}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{outcome(c, zone)}</Table.Td>
                  <Table.Td>
                    {/* A reopen claws the pay back: not to read as paid. */}
                    {c.pay ? `${money(c.pay)}${c.reopenedAt ? ' (reversed)' : ''}` : '—'}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </Stack>
  );
}
