import { Anchor, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { browserZone, formatInstant } from '../../ui/times';
import { ReconciliationCard } from './reconciliation-card';
import { RunActions } from './run-actions';
import { RunLines } from './run-lines';
import { RunProgress } from './run-progress';
import { RunStatus } from './run-status';

const STRIPE_MODES: Record<string, string> = {
  live: 'Stripe live mode',
  test: 'Stripe test mode',
  fake: 'fake Stripe: no money moves',
};

/** While a run pays, its page re-reads every 1.5 s: paid lines have no event of their own. */
const PROGRESS_MS = 1_500;

/** Lines are in flight: executing, or completed with failures and sending some again. */
function paying(run: Schemas['PayoutRunDetailDto']): boolean {
  return run.status === 'executing' || run.totals.inFlightLines > 0;
}

/**
 * One payout run: its state and who moved it, totals and progress (live while it pays), the
 * actions its state allows, its lines, and the reconciliation with Stripe.
 */
export default function RunPage() {
  const { id = '' } = useParams();
  const run = useQuery({
    queryKey: keys.payoutRun(id),
    // The totals only: the lines come a page at a time (RunLines), not megabytes a re-read.
    queryFn: () =>
      unwrap(
        api.GET('/v1/payout-runs/{id}', { params: { path: { id }, query: { lines: 'none' } } }),
      ),
    refetchInterval: (query) =>
      query.state.data && paying(query.state.data) ? PROGRESS_MS : false,
  });
  const zone = browserZone();
  const data = run.data;
  return (
    <Page title="Payout run">
      <Anchor component={Link} to="/finance/runs" size="sm">
        All runs
      </Anchor>
      {run.isPending && <Loading label="Loading the run" />}
      <ReadErrorAlert query={run} title="The run could not be loaded" />
      {data && (
        <Stack gap="lg">
          <Group gap="sm">
            <RunStatus status={data.status} />
            <Text size="sm">
              {data.currency} · balances as of {formatInstant(data.cutoff, zone)} ·{' '}
              {data.minimumMinor !== null &&
                `minimum payout ${formatMoney(data.minimumMinor, data.currency)} · `}
              {STRIPE_MODES[data.stripeMode] ?? data.stripeMode}
              {data.platformBalanceMinor !== null &&
                ` · Stripe balance available ${formatMoney(data.platformBalanceMinor, data.currency)}`}
            </Text>
          </Group>
          <Text size="sm">
            Drafted {formatInstant(data.createdAt, zone)}
            {data.approvedAt && `, approved ${formatInstant(data.approvedAt, zone)}`}
            {data.executedAt && `, executed ${formatInstant(data.executedAt, zone)}`}
            {data.completedAt && `, completed ${formatInstant(data.completedAt, zone)}`}
            {data.cancelledAt && `, cancelled ${formatInstant(data.cancelledAt, zone)}`}.
          </Text>
          <RunActions run={data} />
          <Card withBorder component="section" aria-labelledby="totals-heading">
            <Stack gap="sm">
              <Title order={2} id="totals-heading" size="h3">
                Totals
              </Title>
              <RunProgress run={data} />
            </Stack>
          </Card>
          <Stack component="section" aria-labelledby="lines-heading" gap="sm">
            <Title order={2} id="lines-heading" size="h3">
              Lines
            </Title>
            <RunLines run={data} />
          </Stack>
          {data.status !== 'draft' && data.status !== 'cancelled' && (
            <ReconciliationCard run={data} />
          )}
        </Stack>
      )}
    </Page>
  );
}
