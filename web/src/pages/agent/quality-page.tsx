import { Badge, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ReasonDialog } from '../../ui/reason-dialog';
import { ScrollTable } from '../../ui/scroll-table';
import { formatInstant } from '../../ui/times';
import { useDialog } from '../../ui/use-dialog';
import { useZone } from './use-profile';
import { refresh } from '../../api/refresh';
import { percent, scorePercent } from '../../ui/percent';

type Feedback = Schemas['FeedbackItemDto'];

const TIER_TEXT = {
  top: 'Top tier',
  middle: 'Middle tier',
  bottom: 'Bottom tier',
} as const;

/**
 * The agent's quality: the score with how it is made (every number in the formula), its tier,
 * the reopen rate beside it, per company; every rating and review, with a dispute for a review.
 * (Reliability is on the earnings page, beside the seats it is about.)
 */
export default function QualityPage() {
  return (
    <Page title="Quality">
      <ScoreCard />
      <FeedbackList />
    </Page>
  );
}

/** The agent's own view, which always has its count, sum and reopen rate (a company's has not). */
function ownView(q: Schemas['QualityScoreDto'] | undefined) {
  if (!q || q.inputs === null || q.sum === null || q.reopenRate === null) return undefined;
  return { ...q, inputs: q.inputs, sum: q.sum, reopenRate: q.reopenRate };
}

function ScoreCard() {
  const quality = useQuery({
    queryKey: keys.quality,
    queryFn: () => unwrap(api.GET('/v1/agents/me/quality')),
  });
  const q = ownView(quality.data);
  return (
    <Card withBorder component="section" aria-labelledby="score-heading">
      <Stack gap="xs">
        <Title order={2} id="score-heading">
          Quality score
        </Title>
        {quality.isPending && <Loading label="Loading your score" />}
        <ErrorAlert error={quality.error} title="Your score could not be loaded" />
        {q && (
          <>
            <Group gap="sm">
              <Text size="xl" fw={700}>
                {scorePercent(q.score)}
              </Text>
              <Badge
                variant="light"
                color={q.tier === 'top' ? 'teal' : q.tier === 'bottom' ? 'red' : 'gray'}
              >
                {TIER_TEXT[q.tier]}
              </Badge>
            </Group>
            <Text size="sm">
              {q.inputs} {q.inputs === 1 ? 'rating or review' : 'ratings and reviews'} in the last{' '}
              {q.windowDays} days, worth {q.sum.toFixed(4)} together (1 star is 0, 5 stars is 1),
              weighed with the platform&apos;s average of {q.platformMean.toFixed(4)} as if it were{' '}
              {q.priorWeight} more: ({q.sum.toFixed(4)} + {q.priorWeight} ×{' '}
              {q.platformMean.toFixed(4)}) ÷ ({q.inputs} + {q.priorWeight}) = {q.score.toFixed(4)}.
            </Text>
            <Text size="sm">
              {q.agentsAbove === null
                ? `Tiers rank agents with at least ${q.tierMinInputs} ratings and reviews from ${q.tierMinCompanies} companies; until then you are in the middle.`
                : `${q.agentsAbove} of ${q.rankedAgents} ranked agents score higher than you.`}
            </Text>
            <Text size="sm">
              Reopened:{' '}
              {q.reopenRate.rate === null
                ? 'no resolutions yet'
                : `${q.reopenRate.reopened} of ${q.reopenRate.resolved} resolutions (${percent(q.reopenRate.rate)}), shown beside the score, not in it`}
              .
            </Text>
            {q.perCompany.length > 0 && (
              <ScrollTable label="Score per company">
                <Table miw={480}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Company</Table.Th>
                      <Table.Th style={{ textAlign: 'right' }}>Ratings and reviews</Table.Th>
                      <Table.Th style={{ textAlign: 'right' }}>Score</Table.Th>
                      <Table.Th style={{ textAlign: 'right' }}>Reopened</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {q.perCompany.map((c) => (
                      <Table.Tr key={c.companyId}>
                        <Table.Td>{c.companyName ?? c.companyId}</Table.Td>
                        <Table.Td style={{ textAlign: 'right' }}>{c.inputs}</Table.Td>
                        <Table.Td style={{ textAlign: 'right' }}>{scorePercent(c.score)}</Table.Td>
                        <Table.Td style={{ textAlign: 'right' }}>
                          {c.reopenRate.rate === null ? '–' : percent(c.reopenRate.rate)}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}

function FeedbackList() {
  const queryClient = useQueryClient();
  const dispute = useDialog<Feedback>(); // focus back on the row's button when it closes
  const disputing = dispute.value;
  const feedback = useInfiniteQuery({
    queryKey: keys.feedback,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/agents/me/feedback', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = feedback.data?.pages.flatMap((p) => p.items) ?? [];
  const zone = useZone();
  // The review being disputed as the list has it now: after a refusal as changed, the list is
  // read again and the next press names the version it shows (the dialog's copy, taken as it
  // opened, was refused for good).
  const shown = disputing && (items.find((i) => i.reviewId === disputing.reviewId) ?? disputing);
  return (
    <Stack component="section" aria-labelledby="feedback-heading" gap="xs">
      <Title order={2} id="feedback-heading" size="h3">
        Ratings and reviews
      </Title>
      {feedback.isPending && <Loading label="Loading your ratings and reviews" />}
      <ErrorAlert error={feedback.error} title="Your ratings and reviews could not be loaded" />
      {feedback.isSuccess && items.length === 0 && (
        <Text size="sm">No ratings or reviews yet.</Text>
      )}
      {items.length > 0 && (
        <ScrollTable label="Table of your ratings and reviews">
          <Table miw={720}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Stars</Table.Th>
                <Table.Th>What they said</Table.Th>
                <Table.Th>Counts</Table.Th>
                <Table.Th>Dispute</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((f) => (
                <Table.Tr key={`${f.kind}-${f.reviewId ?? f.ticketId}`}>
                  <Table.Td>{formatInstant(f.createdAt, zone)}</Table.Td>
                  <Table.Td>
                    {f.kind === 'rating' ? 'Customer' : 'Company review'}:{' '}
                    {f.companyName ?? 'a company'}
                  </Table.Td>
                  <Table.Td>{f.stars} of 5</Table.Td>
                  <Table.Td>
                    {f.text ?? '–'}
                    {f.tags.length > 0 && <Text size="xs">{f.tags.join(', ')}</Text>}
                  </Table.Td>
                  <Table.Td>{f.counts ? 'Yes' : 'No'}</Table.Td>
                  <Table.Td>
                    <DisputeCell
                      item={f}
                      onDispute={(button) => dispute.open(f, button)}
                      zone={zone}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={feedback} what="ratings and reviews" />
      {disputing && (
        <ReasonDialog
          title={`Dispute the review of ${formatInstant(disputing.createdAt, zone)}`}
          reasonDescription="A platform admin reads it with the resolution and the review, and upholds or removes the review"
          confirmLabel="Dispute"
          keepLabel="Keep it"
          errorTitle="Not disputed"
          confirm={async (reason, key) => {
            try {
              return await unwrap(
                api.POST('/v1/reviews/{id}/dispute', {
                  params: {
                    path: { id: disputing.reviewId! },
                    header: { 'Idempotency-Key': key },
                  },
                  // The review as shown: one changed since is refused (REVIEW_CHANGED).
                  body: { reason, reviewUpdatedAt: shown!.updatedAt },
                }),
              );
            } catch (error) {
              if (error instanceof ApiError && error.code === 'REVIEW_CHANGED') {
                await refresh(queryClient, keys.feedback);
              }
              throw error;
            }
          }}
          onDone={() => void refresh(queryClient, keys.feedback)}
          onClose={dispute.close}
        >
          <Text size="sm">
            You can dispute a review once. It keeps counting until an admin decides; removed, it
            stops counting at once.
          </Text>
        </ReasonDialog>
      )}
    </Stack>
  );
}

/**
 * A dispute's outcome in the agent's words: the admin decides on the review, so "upheld" is the
 * review kept (the agent lost) and "removed" the review gone (the agent won).
 */
const DISPUTE_OUTCOME: Record<string, string> = {
  pending: 'Disputed, waiting for an admin',
  upheld: 'Dispute lost: the review stands and counts',
  removed: 'Dispute won: the review was removed and no longer counts',
};

function DisputeCell(props: {
  item: Feedback;
  onDispute: (button: HTMLElement) => void;
  zone: string;
}) {
  const { item } = props;
  if (item.kind === 'rating') return <Text size="xs">Ratings cannot be disputed</Text>;
  if (!item.dispute) {
    return (
      <Button
        size="xs"
        variant="default"
        onClick={(e) => props.onDispute(e.currentTarget)}
        aria-label={`Dispute the review of ${formatInstant(item.createdAt, props.zone)}`}
      >
        Dispute
      </Button>
    );
  }
  const d = item.dispute;
  return (
    <Text size="xs">
      {DISPUTE_OUTCOME[d.status]}
      {d.decisionNote ? `. The admin's note: ${d.decisionNote}` : ''}
    </Text>
  );
}
