import { Card, Group, Stack, Switch, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { forTheAsker } from '../../api/keyed-call';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { formatDuration } from '../../ui/times';
import { useNow } from '../../ui/use-now';
import { refresh } from '../../api/refresh';

type Availability = Schemas['AvailabilityDto'];

/**
 * Available or away (a break: no offers come; held tickets stay yours). Shows the time away on
 * this seat and what is left of the shift's cap, counting on from the answer while away.
 */
export function AvailabilityCard({
  availability,
  fetchedAt,
}: {
  availability: Availability;
  fetchedAt: number;
}) {
  const queryClient = useQueryClient();
  const now = useNow();
  const set = useMutation({
    mutationFn: (status: Availability['status']) =>
      forTheAsker(() => unwrap(api.PUT('/v1/agents/me/availability', { body: { status } }))),
    onSuccess: async (answer) => {
      // A read under way (an offer event's, the minute's poll) predates this change: landing
      // after it, it turned the switch back while the API had the agent away.
      await queryClient.cancelQueries({ queryKey: keys.availability });
      queryClient.setQueryData(keys.availability, answer);
      void refresh(queryClient, keys.offers);
    },
  });
  const away = availability.status === 'away';
  const running = away ? Math.max(0, (now - fetchedAt) / 1000) : 0;
  const awaySeconds = availability.awaySeconds + running;
  const cap = availability.maxAwayMinutes === null ? null : availability.maxAwayMinutes * 60;

  return (
    <Card withBorder component="section" aria-labelledby="availability-heading">
      <Stack gap="xs">
        <Title order={2} id="availability-heading" size="h3">
          Availability
        </Title>
        {/* One name in both states, the state in its checked value and description: a name
            that changed with it ("Away…" while off) read as "Away, switch, off". */}
        <Switch
          size="md"
          label="Available for offers"
          description={away ? 'Away: on a break, no new offers come' : undefined}
          checked={!away}
          disabled={set.isPending}
          onChange={(event) => set.mutate(event.currentTarget.checked ? 'available' : 'away')}
        />
        {availability.awayReason && away && (
          <Text size="sm">Set away: {availability.awayReason.replaceAll('_', ' ')}</Text>
        )}
        <Group gap="lg">
          <Text size="sm">Time away on this shift: {formatDuration(awaySeconds)}</Text>
          {cap !== null && (
            <Text size="sm" c={awaySeconds > cap ? 'red.9' : undefined}>
              {awaySeconds > cap
                ? `Over the shift's break cap by ${formatDuration(awaySeconds - cap)}`
                : `Break left: ${formatDuration(cap - awaySeconds)} of ${availability.maxAwayMinutes} min`}
            </Text>
          )}
        </Group>
        <ErrorAlert error={set.error} title="Availability not changed" />
      </Stack>
    </Card>
  );
}
