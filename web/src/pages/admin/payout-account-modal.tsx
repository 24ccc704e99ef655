import { Badge, Button, Group, List, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { Loading } from '../../ui/loading';
import { browserZone, formatInstant } from '../../ui/times';
import { refresh } from '../../api/refresh';
import { keepFocusNear } from '../../ui/use-dialog';

type Agent = Schemas['AgentDirectoryEntryDto'];
type Account = Schemas['StaffPayoutAccountView'];

const queryKey = (agentId: string) => ['staff', 'payout-account', agentId] as const;

/**
 * An agent's payout account as staff see it: open or closed (with Stripe's own reason), the
 * accounts it replaced, and, for a closed one the agent may not replace by themselves (a
 * rejection), allowing them a new one with a reason for the record.
 */
export function PayoutAccountModal({ agent, onClose }: { agent: Agent; onClose: () => void }) {
  const account = useQuery({
    queryKey: queryKey(agent.agentId),
    queryFn: async () => {
      try {
        return await unwrap(
          api.GET('/v1/agents/{id}/payout-account', { params: { path: { id: agent.agentId } } }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  return (
    <Modal opened onClose={onClose} title={`Payout account of ${agent.displayName}`}>
      <Stack>
        {account.isPending && <Loading label="Loading the payout account" />}
        <ErrorAlert error={account.error} title="The payout account could not be loaded" />
        {account.data === null && <Text size="sm">No payout account yet.</Text>}
        {account.data && <Facts account={account.data} />}
        {account.data?.closedReason && !account.data.canLinkNew && (
          <AllowNewAccount agentId={agent.agentId} account={account.data} />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function Facts({ account }: { account: Account }) {
  const zone = browserZone();
  return (
    <Stack gap="xs">
      <Text size="sm">
        Stripe account {account.stripeAccountId}:{' '}
        {account.closedReason ? (
          <Badge variant="light" color="red">
            closed
          </Badge>
        ) : (
          <Badge variant="light" color={account.payoutsEnabled ? 'green' : 'yellow'}>
            {account.payoutsEnabled ? 'payouts enabled' : 'payouts not enabled yet'}
          </Badge>
        )}
      </Text>
      {account.closedAt && (
        <Text size="sm">
          Closed {formatInstant(account.closedAt, zone)}: {account.stripeClosedReason}.{' '}
          {account.canLinkNew
            ? 'The agent can link a new account.'
            : 'The agent cannot link a new account by themselves.'}
        </Text>
      )}
      {account.newAccountAllowed && (
        <Text size="sm">
          A new account allowed {formatInstant(account.newAccountAllowed.at, zone)}:{' '}
          {account.newAccountAllowed.reason}
        </Text>
      )}
      {account.replacedAccountIds.length > 0 && (
        <>
          <Text size="sm">Earlier accounts, closed:</Text>
          <List size="sm" aria-label="Earlier accounts">
            {account.replacedAccountIds.map((id) => (
              <List.Item key={id}>{id}</List.Item>
            ))}
          </List>
        </>
      )}
    </Stack>
  );
}

/** Names the closing read, so one that changed meanwhile is refused (read it again). */
function AllowNewAccount({ agentId, account }: { agentId: string; account: Account }) {
  const [reason, setReason] = useState('');
  const queryClient = useQueryClient();
  const allow = useKeyedMutation({
    mutationFn: (request: { agentId: string; body: Schemas['AllowNewPayoutAccountDto'] }, key) =>
      unwrap(
        api.POST('/v1/agents/{id}/payout-account/allow-new-account', {
          params: { path: { id: request.agentId }, header: { 'Idempotency-Key': key } },
          body: request.body,
        }),
      ),
    onSuccess: (view, request) => queryClient.setQueryData(queryKey(request.agentId), view),
    // Refused (the closing changed since it was read, say): the facts are read again, so the
    // next try names the closing as it is instead of being refused the same way for good.
    onError: () => void refresh(queryClient, queryKey(agentId)),
  });
  const errors = problemOf(allow.error, ['reason']);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        // Allowed, this form goes (the facts say so): the focus stays in the dialog.
        keepFocusNear(event.currentTarget);
        allow.mutate({
          agentId,
          body: {
            reason,
            stripeAccountId: account.stripeAccountId,
            stripeClosedReason: account.stripeClosedReason!,
          },
        });
      }}
    >
      <Stack gap="xs">
        <Textarea
          label="Reason"
          description="Why the agent may link a new account: kept on record"
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value)}
          error={errors?.field('reason')}
        />
        <RetryingNote retrying={allow.retrying} />
        <ErrorAlert error={allow.error} inputs={['reason']} title="Not allowed" />
        <Group justify="flex-end">
          <Button type="submit" loading={allow.isPending}>
            Allow a new account
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
