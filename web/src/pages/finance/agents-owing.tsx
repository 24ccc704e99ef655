import { Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { ScrollTable } from '../../ui/scroll-table';

/**
 * Agents whose available balance is below zero (money taken back after they were paid: a
 * reopen, a reversal, a debit adjustment). The trial balance adds every agent's account into
 * one figure, where one agent owing 100 and another owed 100 read as nothing; no run pays these
 * agents until their earnings cover the debt.
 */
export function AgentsOwing() {
  const owing = useQuery({
    queryKey: [...keys.ledger, 'agents-owing'],
    queryFn: () => unwrap(api.GET('/v1/ledger/agents-owing')),
  });
  const items = owing.data?.items ?? [];
  return (
    <Stack component="section" aria-labelledby="owing-heading" gap="sm">
      <Title order={2} id="owing-heading" size="h3">
        Agents who owe
      </Title>
      <Text size="sm">
        Money taken back after it was paid out (a reopened ticket, a reversed transfer, a debit
        adjustment) leaves the agent below zero: no payout run pays them until earnings cover it.
        Pending earnings cover it as they are released.
      </Text>
      {owing.isPending && <Loading label="Loading the agents who owe" />}
      <ReadErrorAlert query={owing} title="The agents who owe could not be loaded" />
      {owing.isSuccess && items.length === 0 && <Text size="sm">No agent owes anything.</Text>}
      {items.length > 0 && (
        <ScrollTable label="Agents who owe, with what each owes">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Agent</Table.Th>
                <Table.Th style={{ textAlign: 'right' }}>Owes</Table.Th>
                <Table.Th style={{ textAlign: 'right' }}>Pending earnings</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((a) => (
                <Table.Tr key={`${a.agentId}-${a.currency}`}>
                  <Table.Td>
                    <Text size="sm">{a.agentDisplayName ?? 'Unknown agent'}</Text>
                    <Text size="xs" c="dimmed">
                      {a.agentEmail ?? a.agentId}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ textAlign: 'right' }}>
                    {formatMoney(-a.availableMinor, a.currency)}
                  </Table.Td>
                  <Table.Td style={{ textAlign: 'right' }}>
                    {formatMoney(a.pendingMinor, a.currency)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      {owing.data?.truncated && (
        <Text size="sm">The 500 who owe most are listed; more agents owe.</Text>
      )}
    </Stack>
  );
}
