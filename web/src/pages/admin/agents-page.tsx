import { Badge, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert, RowErrorAlerts } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { ReasonDialog } from '../../ui/reason-dialog';
import { PayoutAccountModal } from './payout-account-modal';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { keepFocusNear, useDialog } from '../../ui/use-dialog';
import { browserZone, formatInstant } from '../../ui/times';
import { useRowActions } from '../../ui/use-row-actions';
import { refresh } from '../../api/refresh';

type Agent = Schemas['AgentDirectoryEntryDto'];
type Status = 'active' | 'suspended';

/**
 * The agents: find one by name or the start of the email, suspend it with a reason (its seats
 * and tickets are released) or reinstate it, see its payout account (and allow a new one).
 */
export default function AgentsPage() {
  const [search, setSearch] = useState('');
  const [term] = useDebouncedValue(search.trim(), 250);
  const [status, setStatus] = useState<string | null>(null);
  const suspending = useDialog<Agent>();
  const payouts = useDialog<Agent>();
  const queryClient = useQueryClient();
  const agents = useInfiniteQuery({
    queryKey: [...keys.agentDirectory, 'admin', term, status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/agents', {
          params: {
            query: {
              limit: PAGE_SIZE,
              cursor: pageParam,
              ...(term ? { q: term } : {}),
              ...(status ? { status: status as Status } : {}),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const reinstate = useRowActions({
    rowOf: (agent: { id: string; name: string }) => agent.id,
    mutationFn: ({ id }: { id: string; name: string }, key) =>
      unwrap(
        api.POST('/v1/agents/{id}/reinstate', {
          params: { path: { id }, header: { 'Idempotency-Key': key } },
        }),
      ),
    onSettled: () => refresh(queryClient, keys.agentDirectory),
  });
  const items = agents.data?.pages.flatMap((page) => page.items) ?? [];
  const zone = browserZone();
  return (
    <Page title="Agents">
      <Group align="flex-end">
        <TextInput
          label="Search"
          description="A part of the name, or the start of the email"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          type="search"
          // The API's bound on `q`: past it the list was refused as a whole, naming "q".
          maxLength={100}
        />
        <Select
          label="Status"
          placeholder="Any status"
          data={[
            { value: 'active', label: 'Active' },
            { value: 'suspended', label: 'Suspended' },
          ]}
          value={status}
          onChange={setStatus}
          clearable
          w={180}
        />
      </Group>
      {agents.isPending && <Loading label="Loading the agents" />}
      <ErrorAlert error={agents.error} title="The agents could not be loaded" />
      <RowErrorAlerts actions={reinstate} title={(agent) => `Not reinstated: ${agent.name}`} />
      {agents.data?.pages[0]?.emailMatchesLimited && (
        <Text size="sm">
          More than 200 agents&rsquo; emails start with &ldquo;{term}&rdquo;: those past the first
          200 are listed only if their name matches. Type more of the email.
        </Text>
      )}
      {agents.isSuccess && items.length === 0 && (
        <Text size="sm">
          {term || status ? 'No agent matches.' : 'No agent has signed up yet.'}
        </Text>
      )}
      {items.length > 0 && (
        <ScrollTable label="Agents">
          <Table miw={640}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Joined</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((agent) => (
                <Table.Tr key={agent.agentId}>
                  <Table.Td>{agent.displayName}</Table.Td>
                  <Table.Td>{agent.email ?? '—'}</Table.Td>
                  <Table.Td>{formatInstant(agent.createdAt, zone)}</Table.Td>
                  <Table.Td>
                    {agent.suspendedAt ? (
                      <Stack gap={2}>
                        <Badge variant="light" color="red">
                          suspended
                        </Badge>
                        <Text size="xs">{agent.suspendedReason}</Text>
                      </Stack>
                    ) : (
                      <Badge variant="light" color="green">
                        active
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      {agent.suspendedAt ? (
                        <Button
                          size="xs"
                          variant="default"
                          loading={reinstate.busy((a) => a.id === agent.agentId)}
                          onClick={(event) => {
                            // Listing the suspended, the row leaves once reinstated.
                            keepFocusNear(event.currentTarget);
                            reinstate.mutate({ id: agent.agentId, name: rowName(agent) });
                          }}
                          aria-label={`Reinstate ${rowName(agent)}`}
                        >
                          Reinstate
                        </Button>
                      ) : (
                        <Button
                          size="xs"
                          variant="default"
                          onClick={(event) => suspending.open(agent, event.currentTarget)}
                          aria-label={`Suspend ${rowName(agent)}`}
                        >
                          Suspend
                        </Button>
                      )}
                      <Button
                        size="xs"
                        variant="default"
                        onClick={(event) => payouts.open(agent, event.currentTarget)}
                        aria-label={`Payouts of ${rowName(agent)}`}
                      >
                        Payouts
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={agents} what="agents" />
      {suspending.value && <SuspendModal agent={suspending.value} onClose={suspending.close} />}
      {payouts.value && <PayoutAccountModal agent={payouts.value} onClose={payouts.close} />}
    </Page>
  );
}

function SuspendModal({ agent, onClose }: { agent: Agent; onClose: () => void }) {
  const queryClient = useQueryClient();
  return (
    <ReasonDialog
      title={`Suspend ${agent.displayName}`}
      reasonDescription="Kept on record and shown to the agent"
      confirmLabel="Suspend"
      keepLabel="Keep active"
      errorTitle="Not suspended"
      confirm={(reason, key) =>
        unwrap(
          api.POST('/v1/agents/{id}/suspend', {
            params: { path: { id: agent.agentId }, header: { 'Idempotency-Key': key } },
            body: { reason },
          }),
        )
      }
      onDone={() => void refresh(queryClient, keys.agentDirectory)}
      onClose={onClose}
    >
      <Text size="sm">
        Their tickets go back to the queue and their seats on shifts not yet ended are cancelled;
        they can take no work until reinstated.
      </Text>
    </ReasonDialog>
  );
}

/**
 * A row's name for its buttons and failures: display names need not be unique (two "Sam"s gave
 * two identical "Suspend Sam" buttons), emails are.
 */
function rowName(agent: { displayName: string; email: string | null }): string {
  return agent.email ? `${agent.displayName} (${agent.email})` : agent.displayName;
}
