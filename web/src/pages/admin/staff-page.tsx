import { Anchor, Button, Card, Code, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useNow } from '../../ui/use-now';
import { words } from '../finance/run-status';

/**
 * The staff (finance and admin users, created in the CLI only, so the page says how) and the
 * way into the queue dashboard: a short-lived cookie for this browser, then the dashboard.
 */
export default function StaffPage() {
  const staff = useQuery({
    queryKey: keys.staffUsers,
    queryFn: () => unwrap(api.GET('/v1/staff')),
  });
  const dashboard = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/admin/queue-dashboard/session')),
  });
  const zone = browserZone();
  // The pass ends (QUEUE_DASHBOARD_SESSION_MINUTES) while the page stays open: the button stays,
  // so a new one can be had without leaving the page.
  const now = useNow(15_000);
  const pass = dashboard.data;
  const passValid = pass !== undefined && Date.parse(pass.expiresAt) > now;
  return (
    <Page title="Staff and queues">
      <Stack component="section" aria-labelledby="staff-heading" gap="sm">
        <Title order={2} id="staff-heading" size="h3">
          Staff users
        </Title>
        <Text size="sm">
          Finance and admin users are created on the server:{' '}
          <Code>npm run cli -- users:create --role finance --email …</Code>
        </Text>
        {staff.isPending && <Loading label="Loading the staff" />}
        <ErrorAlert error={staff.error} title="The staff could not be loaded" />
        {staff.data && (
          <ScrollTable label="Table of staff users">
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Since</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {staff.data.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>{words(user.role)}</Table.Td>
                    <Table.Td>{user.email}</Table.Td>
                    <Table.Td>{formatInstant(user.createdAt, zone)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Stack>
      <Card withBorder component="section" aria-labelledby="queues-heading">
        <Stack gap="sm">
          <Title order={2} id="queues-heading" size="h3">
            Queue dashboard
          </Title>
          <Text size="sm">
            The background jobs (outbox, webhooks, payouts, timers) in Bull Board. Opening it gives
            this browser a short-lived pass to the dashboard.
          </Text>
          {pass && (
            // Said when it comes (the press leaves the focus on the button).
            <Text size="sm" role="status">
              {passValid ? (
                <>
                  Your pass lasts until {formatInstant(pass.expiresAt, zone)}:{' '}
                  <Anchor href={pass.url} target="_blank" rel="noopener">
                    open the queue dashboard
                  </Anchor>
                  .
                </>
              ) : (
                `Your pass ended ${formatInstant(pass.expiresAt, zone)}: get a new one.`
              )}
            </Text>
          )}
          <Button
            w="fit-content"
            variant={passValid ? 'default' : 'filled'}
            loading={dashboard.isPending}
            onClick={() => dashboard.mutate()}
          >
            {pass ? 'Get a new pass' : 'Get a pass to the queue dashboard'}
          </Button>
          <ErrorAlert error={dashboard.error} title="No pass" />
        </Stack>
      </Card>
    </Page>
  );
}
