import { Anchor, Badge, Stack, Table, Text, Title } from '@mantine/core';
import type { InfiniteData, UseInfiniteQueryResult } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Schemas } from '../../api/client';
import { LoadMore } from '../../ui/load-more';
import { ScrollTable } from '../../ui/scroll-table';
import { formatMoney } from '../../ui/money';
import { formatInstant } from '../../ui/times';
import { useZone } from './use-profile';

type Line = Schemas['EarningsLineDto'];

const KIND: Record<Line['kind'], string> = {
  earning: 'Ticket resolved',
  earning_reversal: 'Reversed (ticket reopened)',
  earning_release: 'Became available',
  adjustment: 'Adjustment',
  payout: 'Paid out',
  payout_reversal: 'Payout reversed',
};

interface Props {
  query: UseInfiniteQueryResult<InfiniteData<Schemas['EarningsDto']>>;
}

/** Every ledger line behind the balances, newest first, each traceable to its ticket. */
export function EarningsLines({ query }: Props) {
  const zone = useZone();
  const lines = query.data?.pages.flatMap((page) => page.lines) ?? [];
  return (
    <Stack component="section" aria-labelledby="lines-heading" gap="sm">
      <Title order={2} id="lines-heading">
        Lines
      </Title>
      {query.isSuccess && lines.length === 0 && <Text>No earnings yet.</Text>}
      {lines.length > 0 && (
        <ScrollTable label="Table of earnings lines">
          <Table striped miw={560}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Amount</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Ticket</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lines.map((line) => (
                <Table.Tr key={`${line.entryId}-${line.kind}-${line.bucket}`}>
                  <Table.Td>{formatInstant(line.createdAt, zone)}</Table.Td>
                  <Table.Td>
                    {KIND[line.kind]}
                    {line.memo ? ` · ${line.memo}` : ''}
                  </Table.Td>
                  <Table.Td>{formatMoney(line.amountMinor, line.currency)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={line.bucket === 'pending' ? 'yellow' : 'green'}>
                      {line.bucket}
                    </Badge>
                    {line.bucket === 'pending' && line.availableAt && (
                      <Text size="xs">available from {formatInstant(line.availableAt, zone)}</Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {line.ticketId ? (
                      <Anchor component={Link} to={`/agent/tickets/${line.ticketId}`} size="sm">
                        Ticket {line.ticketId.slice(0, 8)}
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={query} what="lines" />
    </Stack>
  );
}
