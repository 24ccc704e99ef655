import { Modal, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { percent, scorePercent } from '../../ui/percent';

/** An agent's quality score as the company sees it: overall, and from its own feedback. */
export function AgentQualityModal(props: { agentId: string; name: string; onClose: () => void }) {
  const quality = useQuery({
    queryKey: [...keys.companyAgents, 'quality', props.agentId],
    queryFn: () =>
      unwrap(
        api.GET('/v1/companies/me/agents/{agentId}/quality', {
          params: { path: { agentId: props.agentId } },
        }),
      ),
  });
  const q = quality.data;
  const yours = q?.perCompany[0];
  return (
    <Modal opened onClose={props.onClose} title={`Quality of ${props.name}`}>
      <Stack gap="xs">
        {quality.isPending && <Loading label="Loading the score" />}
        <ErrorAlert error={quality.error} title="The score could not be loaded" />
        {q && (
          <>
            <Text size="sm">
              Quality score {scorePercent(q.score)} ({q.tier} tier), from ratings and reviews in the
              last {q.windowDays} days across every company (theirs stay private).
            </Text>
            <Text size="sm">
              {yours
                ? `From your customers and reviews: ${scorePercent(yours.score)} over ${yours.inputs === 1 ? '1 rating or review' : `${yours.inputs} ratings and reviews`}` +
                  (yours.reopenRate.rate === null
                    ? '.'
                    : `; you reopened ${percent(yours.reopenRate.rate)} of their resolutions.`)
                : 'No rating or review from your company yet.'}
            </Text>
          </>
        )}
      </Stack>
    </Modal>
  );
}
