import { Badge, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { words } from './run-status';

type Category = keyof Schemas['ReconciliationCountsDto'];
const CATEGORIES: { key: Category; label: string; fine: boolean }[] = [
  { key: 'matched', label: 'Matched', fine: true },
  { key: 'amount_mismatch', label: 'Amount differs', fine: false },
  { key: 'reversal_mismatch', label: 'Reversal not booked', fine: false },
  { key: 'missing_at_stripe', label: 'Missing at Stripe', fine: false },
  { key: 'unexpected_at_stripe', label: 'Unexpected at Stripe', fine: false },
  { key: 'not_sent', label: 'Not sent', fine: true },
];

/**
 * The run against Stripe's transfers, on request (it asks Stripe): a count per category and
 * every line that is not simply matched. Differences are the four middle categories.
 */
export function ReconciliationCard({ run }: { run: Schemas['PayoutRunDetailDto'] }) {
  const report = useQuery({
    queryKey: [...keys.payoutRun(run.id), 'reconciliation'],
    queryFn: () =>
      unwrap(api.GET('/v1/payout-runs/{id}/reconciliation', { params: { path: { id: run.id } } })),
    enabled: false,
  });
  const differences = report.data
    ? report.data.counts.amount_mismatch +
      report.data.counts.reversal_mismatch +
      report.data.counts.missing_at_stripe +
      report.data.counts.unexpected_at_stripe
    : 0;
  const unmatched = report.data?.lines.filter((l) => l.category !== 'matched') ?? [];
  return (
    <Card withBorder component="section" aria-labelledby="reconciliation-heading">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} id="reconciliation-heading" size="h3">
            Reconciliation with Stripe
          </Title>
          <Button
            variant="default"
            onClick={() => void report.refetch()}
            loading={report.isFetching}
          >
            {report.data ? 'Reconcile again' : 'Reconcile'}
          </Button>
        </Group>
        {run.totals.inFlightLines > 0 && (
          <Text size="sm">
            The run is still paying: a line Stripe has paid and the books have not yet recorded
            shows as a difference until they do. Reconcile again once it has completed.
          </Text>
        )}
        {report.isFetching && !report.data && <Loading label="Asking Stripe" />}
        <ErrorAlert error={report.error} title="No reconciliation" />
        {report.data && (
          <>
            <Text fw={600} role="status">
              {differences === 0
                ? 'No differences.'
                : `${differences} ${differences === 1 ? 'difference' : 'differences'}.`}{' '}
              <Text span size="sm" fw={400}>
                (asked {formatInstant(new Date(report.dataUpdatedAt).toISOString(), browserZone())})
              </Text>
            </Text>
            <Group gap="xs">
              {CATEGORIES.map((c) => (
                <Badge
                  key={c.key}
                  variant="light"
                  color={c.fine || report.data.counts[c.key] === 0 ? 'gray' : 'red'}
                >
                  {c.label}: {report.data.counts[c.key]}
                </Badge>
              ))}
            </Group>
            {unmatched.length > 0 && (
              <ScrollTable label="Lines not matched">
                <Table miw={640}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Agent</Table.Th>
                      <Table.Th>Category</Table.Th>
                      <Table.Th>Ours</Table.Th>
                      <Table.Th>At Stripe</Table.Th>
                      <Table.Th>Line</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {unmatched.map((l, i) => (
                      <Table.Tr key={l.lineId ?? l.stripeTransferId ?? i}>
                        <Table.Td>{l.agentDisplayName ?? l.agentEmail ?? '—'}</Table.Td>
                        <Table.Td>{words(l.category)}</Table.Td>
                        <Table.Td>
                          {l.amountMinor === null ? '—' : formatMoney(l.amountMinor, run.currency)}
                          {l.category === 'reversal_mismatch' &&
                            ` (${formatMoney(l.reversedMinor ?? 0, run.currency)} reversed)`}
                        </Table.Td>
                        <Table.Td>
                          {l.stripeAmountMinor === null
                            ? '—'
                            : formatMoney(l.stripeAmountMinor, run.currency)}
                          {l.category === 'reversal_mismatch' &&
                            ` (${formatMoney(l.stripeReversedMinor ?? 0, run.currency)} reversed)`}
                        </Table.Td>
                        <Table.Td>
                          {[l.lineStatus, l.heldReason, l.failureCode]
                            .filter(Boolean)
                            .map((w) => words(w!))
                            .join(', ')}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}
