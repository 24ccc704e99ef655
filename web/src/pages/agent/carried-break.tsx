import { Button, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { refresh } from '../../api/refresh';
import { ErrorAlert } from '../../ui/error-alert';

/**
 * On a seat checked into early, a break still running from the shift before (it carries over):
 * ended here, before the start, so offers come from the first minute. Without this the agent
 * found out only at the start, on the desk, while work went to others.
 */
export function CarriedBreak() {
  const queryClient = useQueryClient();
  const end = useMutation({
    mutationFn: () =>
      unwrap(api.PUT('/v1/agents/me/availability', { body: { status: 'available' } })),
    onSettled: () => refresh(queryClient, keys.seats),
  });
  return (
    <Stack gap="xs" mt="xs">
      <Text size="sm">
        You are on a break carried over from your last shift: no offers come while it runs.
      </Text>
      <Button size="xs" w="fit-content" loading={end.isPending} onClick={() => end.mutate()}>
        End the break
      </Button>
      <ErrorAlert error={end.error} title="The break was not ended" />
    </Stack>
  );
}
