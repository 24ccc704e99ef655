import { Card, List, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';

type Trouble = Schemas['HandoffTroubleDto'];
const share = (t: Trouble) => (t.share === null ? '' : ` (${Math.round(t.share * 100)}%)`);

/**
 * How well the bot hands customers over: what agents flagged incomplete and what came back,
 * moved on or went away, with what was missing most often.
 */
export function HandoffQualityCard() {
  const quality = useQuery({
    queryKey: [...keys.companyResults, 'handoff-quality'],
    queryFn: () => unwrap(api.GET('/v1/companies/me/handoff-quality')),
  });
  const h = quality.data;
  return (
    <Card withBorder component="section" aria-labelledby="handoff-heading">
      <Stack gap="xs">
        <Title order={2} id="handoff-heading" size="h3">
          Handoff quality
        </Title>
        {quality.isPending && <Loading label="Loading the handoff quality" />}
        <ErrorAlert error={quality.error} title="The handoff quality could not be loaded" />
        {h && (
          <>
            <Text size="sm">
              Of your bot&apos;s {h.escalations} escalations in the last {h.windowDays} days,{' '}
              {h.troubled.count}
              {share(h.troubled)} had trouble:
            </Text>
            <List size="sm">
              <List.Item>
                {h.incomplete.count}
                {share(h.incomplete)} flagged incomplete by the agent ({h.judged} judged)
              </List.Item>
              <List.Item>
                {h.reopened.count}
                {share(h.reopened)} reopened
              </List.Item>
              <List.Item>
                {h.transferred.count}
                {share(h.transferred)} transferred to other skills
              </List.Item>
              <List.Item>
                {h.withdrawn.count}
                {share(h.withdrawn)} withdrawn by the bot
              </List.Item>
            </List>
            <Text size="sm">
              {h.mostMissing.length === 0
                ? 'Agents found nothing missing.'
                : `Most often missing: ${h.mostMissing.map((m) => `${m.item} (${m.count})`).join(', ')}.`}
            </Text>
          </>
        )}
      </Stack>
    </Card>
  );
}
