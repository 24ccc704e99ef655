import { Badge, Button, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ConfirmButton } from '../../ui/confirm-button';
import { ReadErrorAlert, RowErrorAlerts } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useDialog } from '../../ui/use-dialog';
import { useRowActions } from '../../ui/use-row-actions';
import { AgentQualityModal } from './agent-quality-modal';
import { refresh } from '../../api/refresh';
import { keepFocusNear } from '../../ui/use-dialog';

/** Agents who worked the company's shifts shown at once (the API gives no further page). */
const KNOWN_SHOWN = 50;

/**
 * The company's program: the agents it certified (a shift can require certification), and the
 * agents who held seats on its shifts, found by name, to certify or revoke, with their quality.
 */
export default function CompanyAgentsPage() {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  // Focus back on the row's button when the quality dialog closes.
  const view = useDialog<{ agentId: string; displayName: string }>();
  const viewing = view.value;
  const [term] = useDebouncedValue(search.trim(), 250);
  const certified = useInfiniteQuery({
    queryKey: [...keys.companyAgents, 'certified'],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/companies/me/certified-agents', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const certifiedAgents = certified.data?.pages.flatMap((page) => page.items) ?? [];
  const known = useQuery({
    queryKey: [...keys.companyAgents, 'worked', term],
    queryFn: () =>
      unwrap(
        api.GET('/v1/companies/me/agents', {
          params: { query: { limit: KNOWN_SHOWN, ...(term ? { q: term } : {}) } },
        }),
      ),
  });
  const change = useRowActions({
    rowOf: (v: { agentId: string; certify: boolean; displayName: string }) => v.agentId,
    mutationFn: (
      {
        agentId,
        certify,
      }: {
        agentId: string;
        certify: boolean;
        displayName: string;
      },
      key: string,
    ) => {
      // Sent again after no answer came, a revocation is answered as done, not 404, and a
      // certification never undoes a revocation made meanwhile.
      const params = { params: { path: { agentId }, header: { 'Idempotency-Key': key } } };
      return certify
        ? unwrap(api.PUT('/v1/companies/me/certified-agents/{agentId}', params))
        : unwrap(api.DELETE('/v1/companies/me/certified-agents/{agentId}', params));
    },
    onSettled: ({ certify }) => {
      // A revocation ends the agent's seats on the shifts that require certification.
      if (!certify) void refresh(queryClient, keys.companyShifts);
      return refresh(queryClient, keys.companyAgents);
    },
  });
  // Each table's failures beside it: a failed Certify below was said above the first table,
  // off the screen on a phone.
  const failuresOf = (certify: boolean) => ({
    ...change,
    failures: change.failures.filter((f) => f.variables.certify === certify),
    retrying: change.retrying.filter((v) => v.certify === certify),
  });
  const busy = (agentId: string) => change.busy((v) => v.agentId === agentId);
  const zone = browserZone();
  const searchError = problemOf(known.error, ['q'])?.field('q');
  return (
    <Page title="Agents">
      <Stack component="section" aria-labelledby="certified-heading" gap="sm">
        <Title order={2} id="certified-heading" size="h3">
          Certified for your program
        </Title>
        <Text size="sm">
          A shift that requires certification is open to these agents only. Revoking closes those
          shifts to the agent and ends the seats the agent holds on them.
        </Text>
        <RowErrorAlerts
          actions={failuresOf(false)}
          title={(v) => `Not revoked: ${v.displayName}`}
        />
        {certified.isPending && <Loading label="Loading your certified agents" />}
        <ReadErrorAlert query={certified} title="Your certified agents could not be loaded" />
        {certified.isSuccess && certifiedAgents.length === 0 && (
          <Text size="sm">No agent is certified yet.</Text>
        )}
        {certifiedAgents.length > 0 && (
          <ScrollTable label="Certified agents">
            <Table miw={640}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Certified</Table.Th>
                  <Table.Th>Action</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {certifiedAgents.map((agent) => (
                  <Table.Tr key={agent.agentId}>
                    <Table.Td>{agent.displayName}</Table.Td>
                    <Table.Td>{formatInstant(agent.certifiedAt, zone)}</Table.Td>
                    <Table.Td>
                      <ConfirmButton
                        size="xs"
                        variant="default"
                        loading={busy(agent.agentId)}
                        aria-label={`Revoke ${agent.displayName}`}
                        title={`Revoke ${agent.displayName}'s certification?`}
                        consequence="Their seats and places in line on your shifts that require certification end now: a seat being worked ends as a check-out (tickets in hand return to your queue shortly), the others are cancelled. Nothing counts against the agent, and each seat freed is offered to your waitlist."
                        confirmLabel="Revoke the certification"
                        keepLabel="Keep certified"
                        onConfirm={() =>
                          change.mutate({
                            agentId: agent.agentId,
                            certify: false,
                            displayName: agent.displayName,
                          })
                        }
                      >
                        Revoke
                      </ConfirmButton>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
        <LoadMore query={certified} what="certified agents" />
      </Stack>
      <Stack component="section" aria-labelledby="worked-heading" gap="sm">
        <Title order={2} id="worked-heading" size="h3">
          Agents who worked your shifts
        </Title>
        <TextInput
          label="Find by name"
          type="search"
          // The API's limit: past it the search was refused ("q must be shorter…").
          maxLength={100}
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          error={searchError}
          w={320}
        />
        <RowErrorAlerts
          actions={failuresOf(true)}
          title={(v) => `Not certified: ${v.displayName}`}
        />
        {known.isPending && <Loading label="Loading the agents" />}
        <ReadErrorAlert query={known} inputs={['q']} title="The agents could not be loaded" />
        {known.data?.length === 0 && (
          <Text size="sm">
            {term
              ? 'No agent by that name held a seat on your shifts.'
              : 'No agent held a seat on your shifts yet.'}
          </Text>
        )}
        {known.data?.length === KNOWN_SHOWN && (
          <Text size="sm">
            {term
              ? `The ${KNOWN_SHOWN} with the latest seats among those by that name: a longer name finds fewer.`
              : `The ${KNOWN_SHOWN} with the latest seats: find any other by name.`}
          </Text>
        )}
        {known.data && known.data.length > 0 && (
          <ScrollTable label="Table of agents who worked your shifts">
            <Table miw={640}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Seats completed</Table.Th>
                  <Table.Th>Latest seat</Table.Th>
                  <Table.Th>Program</Table.Th>
                  <Table.Th>Quality</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {known.data.map((agent) => (
                  <Table.Tr key={agent.agentId}>
                    <Table.Td>{agent.displayName}</Table.Td>
                    <Table.Td>{agent.seatsCompleted}</Table.Td>
                    <Table.Td>{formatInstant(agent.lastSeatAt, zone)}</Table.Td>
                    <Table.Td>
                      {agent.certifiedAt ? (
                        <Badge variant="light" color="green">
                          certified
                        </Badge>
                      ) : (
                        <Button
                          size="xs"
                          loading={busy(agent.agentId)}
                          onClick={(event) => {
                            // A badge takes the button's place: focus stays in the table.
                            keepFocusNear(event.currentTarget);
                            change.mutate({
                              agentId: agent.agentId,
                              certify: true,
                              displayName: agent.displayName,
                            });
                          }}
                          aria-label={`Certify ${agent.displayName}`}
                        >
                          Certify
                        </Button>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Button
                        size="xs"
                        variant="default"
                        onClick={(e) => view.open(agent, e.currentTarget)}
                        aria-label={`Quality of ${agent.displayName}`}
                      >
                        Quality
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Stack>
      {viewing && (
        <AgentQualityModal
          agentId={viewing.agentId}
          name={viewing.displayName}
          onClose={view.close}
        />
      )}
    </Page>
  );
}
