import { SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { InvoiceStatus, periodLabel } from '../company/invoices-section';
import { browserZone, formatInstant } from '../../ui/times';
import { InvoiceActions } from './invoice-actions';

type Filter = 'all' | 'draft' | 'past_due' | 'open' | 'paid' | 'written_off' | 'no_charge';
type Status = Schemas['FinanceInvoiceDto']['status'];

/**
 * The invoice states each choice lists. Written off: marked uncollectible here, or voided in
 * Stripe's dashboard, which books the same write-off. Draft: not issued yet (an issue that keeps
 * failing stays one).
 */
const SHOWN: Record<Filter, Status[] | undefined> = {
  all: undefined,
  draft: ['draft'],
  past_due: ['past_due'],
  open: ['open'],
  paid: ['paid'],
  written_off: ['uncollectible', 'void'],
  no_charge: ['no_charge'],
};
type Aged = Schemas['AgeingRowDto'] | Schemas['AgeingTotalDto'];

const AGES = [
  ['currentMinor', 'Current'],
  ['days1To30Minor', '1–30 days'],
  ['days31To60Minor', '31–60 days'],
  ['over60DaysMinor', 'Over 60 days'],
  ['totalMinor', 'Total'],
] as const;

/**
 * Money in, for finance: what each company owes by age (and in total per currency), and every
 * invoice by status, with write-off and credit note.
 */
export default function ReceivablesPage() {
  return (
    <Page title="Receivables">
      <Ageing />
      <AllInvoices />
    </Page>
  );
}

function Ageing() {
  const ageing = useQuery({
    queryKey: [...keys.receivables, 'ageing'],
    queryFn: () => unwrap(api.GET('/v1/receivables/ageing')),
  });
  const cells = (row: Aged) =>
    AGES.map(([k]) => (
      <Table.Td key={k} style={{ textAlign: 'right' }}>
        {formatMoney(row[k], row.currency)}
      </Table.Td>
    ));
  return (
    <Stack component="section" aria-labelledby="ageing-heading" gap="xs">
      <Title order={2} id="ageing-heading" size="h3">
        Owed by age
      </Title>
      <Text size="sm">
        Unpaid invoices by days since their period ended, and amounts too small to charge, which “no
        charge” invoices carry forward, by days since the last of them; current is what is booked
        and not yet invoiced, and invoices issued today.
      </Text>
      {ageing.isPending && <Loading label="Loading the ageing" />}
      <ReadErrorAlert query={ageing} title="The ageing could not be loaded" />
      {ageing.data && ageing.data.companies.length === 0 && (
        <Text size="sm">No company owes anything.</Text>
      )}
      {ageing.data && ageing.data.companies.length > 0 && (
        <ScrollTable label="Table of receivables by age">
          <Table miw={720}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Company</Table.Th>
                <Table.Th>Currency</Table.Th>
                {AGES.map(([k, label]) => (
                  <Table.Th key={k} style={{ textAlign: 'right' }}>
                    {label}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {ageing.data.companies.map((r) => (
                <Table.Tr key={`${r.companyId}-${r.currency}`}>
                  <Table.Td>{r.companyName ?? r.companyId}</Table.Td>
                  <Table.Td>{r.currency}</Table.Td>
                  {cells(r)}
                </Table.Tr>
              ))}
              {ageing.data.totals.map((r) => (
                <Table.Tr key={`total-${r.currency}`} fw={700}>
                  <Table.Td>All companies</Table.Td>
                  <Table.Td>{r.currency}</Table.Td>
                  {cells(r)}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </Stack>
  );
}

function AllInvoices() {
  const [filter, setFilter] = useState<Filter>('all');
  // Seven choices do not fit a phone's width side by side: stacked there.
  const narrow = useMediaQuery('(max-width: 36em)', undefined, { getInitialValueInEffect: false });
  const invoices = useInfiniteQuery({
    queryKey: [...keys.receivables, 'invoices', filter],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/invoices', {
          params: {
            query: {
              limit: PAGE_SIZE,
              cursor: pageParam,
              status: SHOWN[filter],
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = invoices.data?.pages.flatMap((p) => p.items) ?? [];
  const zone = browserZone();
  return (
    <Stack component="section" aria-labelledby="all-invoices-heading" gap="xs">
      <Title order={2} id="all-invoices-heading" size="h3">
        Invoices
      </Title>
      <SegmentedControl
        aria-label="Show invoices"
        value={filter}
        onChange={(v) => setFilter(v as Filter)}
        orientation={narrow ? 'vertical' : 'horizontal'}
        data={[
          { value: 'all', label: 'All' },
          { value: 'draft', label: 'Draft' },
          { value: 'past_due', label: 'Past due' },
          { value: 'open', label: 'Open' },
          { value: 'paid', label: 'Paid' },
          { value: 'written_off', label: 'Written off' },
          { value: 'no_charge', label: 'No charge' },
        ]}
        w="fit-content"
      />
      {invoices.isPending && <Loading label="Loading invoices" />}
      <ReadErrorAlert query={invoices} title="Invoices could not be loaded" />
      {invoices.isSuccess && items.length === 0 && <Text size="sm">No invoices.</Text>}
      {items.length > 0 && (
        <ScrollTable label="Table of every company's invoices">
          <Table miw={760}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Company</Table.Th>
                <Table.Th>Period</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th style={{ textAlign: 'right' }}>Total</Table.Th>
                <Table.Th>Dispute, credit</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((i) => (
                <Table.Tr key={i.id}>
                  <Table.Td>{i.companyName ?? i.companyId}</Table.Td>
                  <Table.Td>{periodLabel(i)}</Table.Td>
                  <Table.Td>
                    <InvoiceStatus invoice={i} zone={zone} />
                    {i.holdWaivedAt && (
                      <Text size="xs">
                        Hold waived {formatInstant(i.holdWaivedAt, zone)}
                        {i.holdWaivedReason ? `: ${i.holdWaivedReason}` : ''}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ textAlign: 'right' }}>
                    {formatMoney(i.totalMinor, i.currency)}
                  </Table.Td>
                  <Table.Td>
                    {i.disputeStatus && (
                      <Text size="xs">
                        Dispute {i.disputeStatus.replaceAll('_', ' ')}:{' '}
                        {formatMoney(i.disputedMinor ?? 0, i.currency)}
                      </Text>
                    )}
                    {i.creditedMinor > 0 && (
                      <Text size="xs">Credited {formatMoney(i.creditedMinor, i.currency)}</Text>
                    )}
                    {i.rebilledAt && (
                      <Text size="xs">
                        Billed again {formatMoney(i.rebilledMinor, i.currency)} on{' '}
                        {formatInstant(i.rebilledAt, zone)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <InvoiceActions invoice={i} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={invoices} what="invoices" />
    </Stack>
  );
}
