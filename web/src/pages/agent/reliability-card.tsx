import { Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';

/** The reliability score and what it is made of, over the API's window. */
export function ReliabilityCard() {
  const reliability = useQuery({
    queryKey: keys.reliability,
    queryFn: () => unwrap(api.GET('/v1/agents/me/reliability')),
  });
  const r = reliability.data;
  return (
    <Card withBorder component="section" aria-labelledby="reliability-heading">
      <Stack gap="xs">
        <Title order={2} id="reliability-heading">
          Reliability
        </Title>
        {reliability.isPending && <Loading label="Loading your reliability" />}
        <ErrorAlert error={reliability.error} title="Reliability could not be loaded" />
        {r && (
          <>
            <Text size="xl" fw={700}>
              {Math.round(r.score * 100)}%
            </Text>
            <Text size="sm">
              {r.raw === null
                ? `No seats judged yet: the platform's ${Math.round(r.platformMean * 100)}%.`
                : `Your own record is ${Math.round(r.raw * 100)}%, weighed with the platform's ` +
                  `${Math.round(r.platformMean * 100)}% as if it were ${r.priorWeight} more seats, ` +
                  'so one missed seat moves it a little.'}
            </Text>
            <Text size="sm">Over the last {r.windowDays} days:</Text>
            <Group gap="lg">
              <Text size="sm">{r.completed} shifts completed</Text>
              <Text size="sm">{r.lateCancellations} late cancellations</Text>
              <Text size="sm">{r.cancellations} early cancellations</Text>
              <Text size="sm">{r.noShows} no-shows</Text>
              <Text size="sm">{r.leftEarly} left early</Text>
              <Text size="sm">{r.awayOverCap} shifts over the break cap</Text>
            </Group>
          </>
        )}
      </Stack>
    </Card>
  );
}
