import { Alert, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert, ReadErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { AgentsOwing } from './agents-owing';
import { words } from './run-status';

/** Findings per list in one integrity report (ledger-integrity.service's MAX_FINDINGS). */
const FINDINGS_CAP = 500;

/**
 * The books: the trial balance (every account per currency; each currency sums to zero), the
 * agents who owe and, on request, the integrity check (reopened claims never reversed, resolutions never booked,
 * earnings never released, receivables never invoiced, pending balances that differ from
 * pending earnings, unbalanced currencies).
 */
export default function LedgerPage() {
  const balance = useQuery({
    queryKey: [...keys.ledger, 'trial-balance'],
    queryFn: () => unwrap(api.GET('/v1/ledger/trial-balance')),
  });
  const integrity = useQuery({
    queryKey: [...keys.ledger, 'integrity'],
    queryFn: () => unwrap(api.GET('/v1/ledger/integrity')),
    enabled: false,
  });
  const zone = browserZone();
  /**
   * "1 earning is", "3 earnings are", "500+ earnings are": each list stops at 500, and the
   * report's one `truncated` says only that some list did, so "+" goes on a full list alone.
   */
  const found = (list: unknown[], one: string, many: string) =>
    `${list.length}${integrity.data?.truncated && list.length >= FINDINGS_CAP ? '+' : ''} ${list.length === 1 ? one : many}`;
  return (
    <Page title="Ledger">
      <Stack component="section" aria-labelledby="trial-heading" gap="sm">
        <Title order={2} id="trial-heading" size="h3">
          Trial balance
        </Title>
        <Text size="sm">
          Debits positive, credits negative: what the platform owes is negative.
        </Text>
        {balance.isPending && <Loading label="Loading the trial balance" />}
        <ReadErrorAlert query={balance} title="The trial balance could not be loaded" />
        {balance.data && (
          <>
            <Group gap="md">
              {balance.data.totals.map((t) => (
                <Text key={t.currency} fw={600}>
                  {t.currency} sums to {formatMoney(t.balanceMinor, t.currency)}
                </Text>
              ))}
              {balance.data.totals.length === 0 && <Text size="sm">Nothing is booked yet.</Text>}
            </Group>
            {balance.data.accounts.length > 0 && (
              <ScrollTable label="Accounts">
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Account</Table.Th>
                      <Table.Th>Currency</Table.Th>
                      <Table.Th style={{ textAlign: 'right' }}>Balance</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {balance.data.accounts.map((a) => (
                      <Table.Tr key={`${a.account}-${a.currency}`}>
                        <Table.Td>{words(a.account)}</Table.Td>
                        <Table.Td>{a.currency}</Table.Td>
                        <Table.Td style={{ textAlign: 'right' }}>
                          {formatMoney(a.balanceMinor, a.currency)}
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
      <AgentsOwing />
      <Card withBorder component="section" aria-labelledby="integrity-heading">
        <Stack gap="sm">
          <Group justify="space-between">
            <Title order={2} id="integrity-heading" size="h3">
              Integrity check
            </Title>
            <Button
              variant="default"
              onClick={() => void integrity.refetch()}
              loading={integrity.isFetching}
            >
              Check the ledger
            </Button>
          </Group>
          <ErrorAlert error={integrity.error} title="The check did not run" />
          {integrity.data &&
            (integrity.data.ok ? (
              <Alert color="green" title="The ledger is consistent">
                <Text size="sm">Checked {formatInstant(integrity.data.checkedAt, zone)}.</Text>
              </Alert>
            ) : (
              <Alert color="red" title="The ledger needs attention" role="alert">
                <Stack gap={4}>
                  {integrity.data.unbalancedCurrencies.map((c) => (
                    <Text size="sm" key={c.currency}>
                      {c.currency} does not sum to zero: {formatMoney(c.balanceMinor, c.currency)}.
                    </Text>
                  ))}
                  {integrity.data.reopenedClaimsNotReversed.length > 0 && (
                    <Text size="sm">
                      {found(
                        integrity.data.reopenedClaimsNotReversed,
                        'reopened claim keeps',
                        'reopened claims keep',
                      )}{' '}
                      an earning that was never reversed.
                    </Text>
                  )}
                  {integrity.data.resolvedClaimsNotBooked.length > 0 && (
                    <Text size="sm">
                      {found(
                        integrity.data.resolvedClaimsNotBooked,
                        'resolved ticket was',
                        'resolved tickets were',
                      )}{' '}
                      never booked: their agents are not paid and their companies not billed for
                      them. The operations runbook (payouts, checks) says how to book them.
                    </Text>
                  )}
                  {integrity.data.earningsNotReleased.length > 0 && (
                    <Text size="sm">
                      {found(integrity.data.earningsNotReleased, 'earning is', 'earnings are')}{' '}
                      still pending after the reopen window ended, and cannot be paid out. The same
                      runbook step releases what is listed.
                    </Text>
                  )}
                  {integrity.data.pendingBalancesNotMatchingEarnings.map((m) => (
                    <Text size="sm" key={`${m.agentId}-${m.currency}`}>
                      Agent {m.agentId.slice(0, 8)}&apos;s pending balance is{' '}
                      {formatMoney(m.ledgerPendingMinor, m.currency)} in the ledger, but its pending
                      earnings sum to {formatMoney(m.earningsPendingMinor, m.currency)}. Adjust
                      nothing until the cause is found: the operations runbook (payouts, checks)
                      says what to look at.
                    </Text>
                  ))}
                  {integrity.data.receivablesNotInvoiced.map((r) => (
                    <Text size="sm" key={`${r.companyId}-${r.currency}`}>
                      {r.companyName} ({r.companyId.slice(0, 8)}) has {r.entries} billable{' '}
                      {r.entries === 1 ? 'entry' : 'entries'} (
                      {formatMoney(r.amountMinor, r.currency)}) no invoice billed, the oldest booked{' '}
                      {formatInstant(r.oldestAt, zone)}: its billing keeps failing. The operations
                      runbook (billing) says what to do.
                    </Text>
                  ))}
                </Stack>
              </Alert>
            ))}
        </Stack>
      </Card>
    </Page>
  );
}
