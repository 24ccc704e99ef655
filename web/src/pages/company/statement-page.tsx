import { Anchor, Badge, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';

const INPUTS = ['month'];
/**
 * `YYYY-MM` of this month in `timeZone` (the company's, which the API reads a month in), or in
 * the browser's when it is not known: near a month's turn the two calendars differ.
 */
const thisMonth = (timeZone?: string) => {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(new Date());
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}`;
};

/**
 * What the company owes for a month's resolved tickets: per currency the rate, the platform fee
 * and the total, and the tickets behind them a page at a time (a reopened one shows as
 * reversed).
 */
export default function StatementPage() {
  // The month offered first is this month in the company's zone, once its settings are read
  // (the company itself: its billing's read also computes its credit standing, under a lock).
  // Under the billing's key, which a change of its settings refreshes.
  const company = useQuery({
    queryKey: [...keys.billing, 'company'],
    queryFn: () => unwrap(api.GET('/v1/companies/me')),
  });
  const [picked, setMonth] = useState<string | null>(null);
  const month =
    picked ??
    (company.data ? thisMonth(company.data.timeZone) : company.isError ? thisMonth() : '');
  // The API reads the month in the company's zone, the one its invoices close in. Invoices go by
  // when the ledger booked each ticket, seconds after its resolution, so at a month's very edge
  // a ticket can be in this month's statement and the next month's invoice. The zone is in the
  // key: a statement read before the company changed it is not shown as of the new one.
  const statement = useInfiniteQuery({
    queryKey: [...keys.companyResults, 'statement', month, company.data?.timeZone],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/companies/me/statement', {
          params: { query: { month, limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    enabled: month !== '',
  });
  // The first page carries the period, its zone and the whole month's totals.
  const first = statement.data?.pages[0];
  const totals = first?.totals ?? [];
  const lines = statement.data?.pages.flatMap((page) => page.lines) ?? [];
  const monthZone = first?.timeZone;
  // Its times in the same zone, named beside each.
  const zone = monthZone ?? browserZone();
  const errors = problemOf(statement.error, INPUTS);
  return (
    <Page title="Statement">
      <TextInput
        type="month"
        label="Month"
        description={
          monthZone
            ? `Resolved in this month, ${monthZone} time (your invoices' zone)`
            : "Resolved in this month, in your invoices' time zone"
        }
        value={month}
        onChange={(e) => setMonth(e.currentTarget.value)}
        error={errors?.field('month')}
        w="fit-content"
      />
      {/* Before the month is known (the company's zone is being read), the statement waits too. */}
      {statement.isPending && (month !== '' || company.isPending) && (
        <Loading label="Loading the statement" />
      )}
      {month === '' && picked !== null && (
        <Text size="sm">Choose a month to see its statement.</Text>
      )}
      {/* A failed re-read (the results refresh) keeps the statement shown. */}
      <ReadErrorAlert query={statement} inputs={INPUTS} title="No statement" />
      {first && (
        <Stack gap="lg">
          <Stack component="section" aria-labelledby="totals-heading" gap="xs">
            <Title order={2} id="totals-heading" size="h3">
              Totals
            </Title>
            {totals.length === 0 ? (
              <Text size="sm">
                {lines.length > 0
                  ? 'Every ticket resolved in this month was reopened: none counts.'
                  : 'No ticket was resolved in this month.'}
              </Text>
            ) : (
              totals.map((t) => (
                <Text key={t.currency}>
                  {t.tickets} {t.tickets === 1 ? 'ticket' : 'tickets'}:{' '}
                  {formatMoney(t.rateMinor, t.currency)} to agents +{' '}
                  {formatMoney(t.feeMinor, t.currency)} platform fee ={' '}
                  <strong>{formatMoney(t.totalMinor, t.currency)}</strong>
                </Text>
              ))
            )}
          </Stack>
          {lines.length > 0 && (
            <ScrollTable label="Statement lines">
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Resolved</Table.Th>
                    <Table.Th>Ticket</Table.Th>
                    <Table.Th>Agent</Table.Th>
                    <Table.Th>Rate</Table.Th>
                    <Table.Th>Fee</Table.Th>
                    <Table.Th>Total</Table.Th>
                    <Table.Th>Status</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {lines.map((l) => (
                    <Table.Tr key={l.claimId}>
                      <Table.Td>{formatInstant(l.resolvedAt, zone)}</Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/company/tickets/${l.ticketId}`}>
                          {l.externalId}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{l.agentDisplayName ?? '—'}</Table.Td>
                      <Table.Td>{formatMoney(l.rateMinor, l.currency)}</Table.Td>
                      <Table.Td>{formatMoney(l.feeMinor, l.currency)}</Table.Td>
                      <Table.Td>{formatMoney(l.totalMinor, l.currency)}</Table.Td>
                      <Table.Td>
                        {/* The agent's earning states (pending, available) mean nothing to the
                            company: a line counts, or a reopen took it out of the totals. */}
                        <Badge variant="light" color={l.status === 'reversed' ? 'gray' : 'green'}>
                          {l.status === 'reversed' ? 'reopened: not counted' : 'counted'}
                        </Badge>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
          )}
          {lines.some((l) => l.status === 'reversed') && (
            // A reopened ticket's charge is credited on a later invoice; not while the invoice
            // that charged it went unpaid (written off, or its payment lost to a dispute): its
            // credit is withheld, billed back (WithheldCreditsService).
            <Text size="xs">
              A reopened ticket is credited on your next invoice, unless the invoice that charged it
              went unpaid (written off, or its payment taken back by your bank).
            </Text>
          )}
          <LoadMore query={statement} what="statement lines" />
          <Group>
            <Text size="sm">
              From {formatInstant(first.from, zone)} to {formatInstant(first.to, zone)}.
            </Text>
          </Group>
        </Stack>
      )}
    </Page>
  );
}
