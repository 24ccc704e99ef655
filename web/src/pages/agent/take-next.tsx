import { Alert, Button, Stack, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, unwrap } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { Reasons, reasonsOf } from './reasons';
import { refresh } from '../../api/refresh';

/** On a pull shift the agent takes the best eligible ticket (push shifts offer it instead). */
export function TakeNext() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [none, setNone] = useState(false);
  const take = useKeyedMutation({
    mutationFn: (_: void, key) =>
      unwrap(
        api.POST('/v1/agents/me/tickets/claim-next', {
          params: { header: { 'Idempotency-Key': key } },
        }),
      ),
    // Refused as not eligible (the shift ended, a suspension): the desk reads the agent's state
    // again, so that it stops offering this button.
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'NOT_ELIGIBLE')
        void refresh(queryClient, keys.availability);
    },
    onSuccess: (ticket) => {
      if (!ticket) return setNone(true); // 204: nothing waiting for this agent now
      void refresh(queryClient, keys.myTickets);
      navigate(`/agent/tickets/${ticket.id}`);
    },
  });
  const reasons = take.error instanceof ApiError ? reasonsOf(take.error.details) : [];
  return (
    <Stack component="section" aria-labelledby="next-heading" gap="xs">
      <Title order={2} id="next-heading" size="h3">
        Next ticket
      </Title>
      <Button
        loading={take.isPending}
        onClick={() => {
          setNone(false);
          take.mutate();
        }}
        w="fit-content"
      >
        Take next ticket
      </Button>
      {none && (
        <Alert color="blue" title="No ticket is waiting">
          Nothing in the queue matches you right now. Try again in a moment.
        </Alert>
      )}
      <RetryingNote retrying={take.retrying} />
      <ErrorAlert error={take.error} title="No ticket taken" />
      {reasons.length > 0 && <Reasons reasons={reasons} label="Why you cannot take a ticket" />}
    </Stack>
  );
}
