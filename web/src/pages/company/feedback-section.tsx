import {
  Alert,
  Button,
  Checkbox,
  Group,
  SegmentedControl,
  Stack,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { Loading } from '../../ui/loading';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { browserZone, formatInstant } from '../../ui/times';
import { serverNow } from '../../api/server-clock';
import { refresh } from '../../api/refresh';

type Review = Schemas['ReviewDto'];
type Tag = Review['tags'][number];
const TAGS: { value: Tag; label: string }[] = [
  { value: 'empathy', label: 'Empathy' },
  { value: 'accuracy', label: 'Accuracy' },
  { value: 'speed', label: 'Speed' },
  { value: 'tone', label: 'Tone' },
  { value: 'policy', label: 'Policy' },
];
const INPUTS = ['score', 'tags', 'note'];

/**
 * A resolved ticket's feedback, as the company sees it: the customer's rating (posted by the
 * bot) and the company's own review, written here and changed for 7 days unless disputed.
 */
export function FeedbackSection({
  ticketId,
  claims,
  withdrawn,
}: {
  ticketId: string;
  /** The ticket's claims: the one a review is of (the feedback's `claimId`) names its agent. */
  claims: Schemas['TicketClaimView'][];
  /** A withdrawn ticket is final: a review written before stays (and may change), no new one. */
  withdrawn: boolean;
}) {
  // Said when a save was refused because the review changed meanwhile: the form then shows the
  // review as it is now (read again), and this says why what was typed is gone.
  const [conflict, setConflict] = useState<string | null>(null);
  const feedback = useQuery({
    queryKey: [...keys.companyTickets, 'feedback', ticketId],
    queryFn: () =>
      unwrap(api.GET('/v1/tickets/{id}/feedback', { params: { path: { id: ticketId } } })),
  });
  const zone = browserZone();
  const f = feedback.data;
  const review = f?.review ?? null;
  // A new review only within the quality window of the resolution (reviewDeadline): past it the
  // form was refused once filled in (FEEDBACK_WINDOW_CLOSED).
  const lapsed =
    review === null &&
    f?.reviewDeadline != null &&
    new Date(f.reviewDeadline).getTime() <= serverNow();
  // The resolution a review is of, by name: after a reopen the ticket's header names whoever
  // works it now, not the agent whose resolution is reviewed.
  const reviewed = claims.find((c) => c.claimId === f?.claimId);
  const editable =
    (review === null && f?.reviewDeadline != null && !lapsed) ||
    (review !== null &&
      review.dispute === null &&
      new Date(review.editableUntilAt).getTime() > serverNow());
  return (
    <Stack component="section" aria-labelledby="feedback-heading" gap="xs">
      <Title order={2} id="feedback-heading" size="h3">
        Feedback
      </Title>
      {feedback.isPending && <Loading label="Loading the feedback" />}
      <ErrorAlert error={feedback.error} title="The feedback could not be loaded" />
      {f && (
        <>
          <Text size="sm">
            {f.rating
              ? `The customer rated it ${f.rating.csat} of 5${f.rating.comment ? `: “${f.rating.comment}”` : ''}.`
              : 'No rating from the customer yet (your bot posts it).'}
          </Text>
          {reviewed?.resolvedAt && (review || !withdrawn) && (
            <Text size="sm">
              {review ? 'Your review is of' : 'To review:'} {reviewed.displayName}&rsquo;s
              resolution of {formatInstant(reviewed.resolvedAt, zone)}
              {reviewed.reopenedAt ? `, reopened ${formatInstant(reviewed.reopenedAt, zone)}` : ''}.
            </Text>
          )}
          {review && (
            <Text size="sm">
              Your review: {review.score} of 5
              {review.tags.length > 0 ? ` (${review.tags.join(', ')})` : ''}
              {review.note ? `: “${review.note}”` : ''}
              {review.dispute
                ? ` · ${DISPUTE_OUTCOMES[review.dispute.status]}${review.dispute.decisionNote ? ` The admin's note: “${review.dispute.decisionNote}”` : ''}`
                : editable
                  ? ` · can be changed until ${formatInstant(review.editableUntilAt, zone)}`
                  : ''}
            </Text>
          )}
          {lapsed && (
            <Text size="sm">
              This resolution could be reviewed until {formatInstant(f.reviewDeadline!, zone)}: that
              window has closed.
            </Text>
          )}
          {withdrawn && review === null && (
            <Text size="sm">
              The ticket was withdrawn: it is final, and no review can be written of it now.
            </Text>
          )}
          {conflict && (
            <Alert color="yellow" title="Your review was not saved" role="status">
              <Text size="sm">{conflict}</Text>
            </Alert>
          )}
          {editable && (
            // A new form for each review, and for each resolution not yet reviewed: one left
            // from a review of an earlier resolution (reopened, then resolved again, maybe by
            // another agent) must not hold that review's score and note.
            <ReviewForm
              key={review?.id ?? `new:${f.claimId}`}
              ticketId={ticketId}
              review={review}
              onConflict={setConflict}
            />
          )}
        </>
      )}
    </Stack>
  );
}

/** A dispute in the company's words, from its review's side. */
const DISPUTE_OUTCOMES: Record<NonNullable<Review['dispute']>['status'], string> = {
  pending: 'The agent disputed it: an admin decides whether it stands.',
  upheld: 'The agent disputed it; an admin upheld it: it stands and counts.',
  removed: 'The agent disputed it; an admin removed it: it no longer counts.',
};

/** Refusals meaning the review changed since the page read it; said in the console's words. */
const CONFLICTS: Record<string, string> = {
  REVIEW_EXISTS:
    'Another review of this resolution was saved first (in another tab, or by another admin). ' +
    'It is shown above; change it if you need to.',
  REVIEW_LOCKED:
    'The review can no longer change: the agent disputed it, or its 7 days for changes ended.',
};

function ReviewForm({
  ticketId,
  review,
  onConflict,
}: {
  ticketId: string;
  review: Review | null;
  onConflict: (message: string | null) => void;
}) {
  const queryClient = useQueryClient();
  const [score, setScore] = useState(String(review?.score ?? 5));
  const [tags, setTags] = useState<string[]>(review?.tags ?? []);
  const [note, setNote] = useState(review?.note ?? '');
  // A first review is keyed (a retry after a lost answer is answered as the first, not refused
  // as reviewed already); a change (PUT) repeats alike.
  const save = useKeyedMutation({
    mutationFn: (
      { id, edit, body }: { id: string; edit: boolean; body: Schemas['CreateReviewDto'] },
      key,
    ) =>
      edit
        ? unwrap(api.PUT('/v1/tickets/{id}/review', { params: { path: { id } }, body }))
        : unwrap(
            api.POST('/v1/tickets/{id}/review', {
              params: { path: { id }, header: { 'Idempotency-Key': key } },
              body,
            }),
          ),
    onSuccess: () => {
      onConflict(null);
      void refresh(queryClient, keys.companyTickets);
    },
    onError: (error) => {
      const conflict = CONFLICTS[problemOf(error)?.code ?? ''];
      if (!conflict) return;
      onConflict(conflict);
      void refresh(queryClient, [...keys.companyTickets, 'feedback', ticketId]);
    },
  });
  const problem = problemOf(save.error, INPUTS);
  // A conflict is said above the form, which is read again: not twice.
  const errors = problem && CONFLICTS[problem.code ?? ''] ? null : problem;
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({
          id: ticketId,
          edit: review !== null,
          body: { score: Number(score), tags: tags as Tag[], ...(note.trim() && { note }) },
        });
      }}
    >
      <Stack gap="xs">
        <Text size="sm" fw={500} id="review-score-label">
          Score (1 poor, 5 excellent)
        </Text>
        <SegmentedControl
          aria-labelledby="review-score-label"
          value={score}
          onChange={setScore}
          data={['1', '2', '3', '4', '5']}
          w="fit-content"
        />
        <Checkbox.Group
          label="What stood out"
          value={tags}
          onChange={setTags}
          error={errors?.field('tags')}
        >
          <Group gap="md" mt={4}>
            {TAGS.map((t) => (
              <Checkbox key={t.value} value={t.value} label={t.label} />
            ))}
          </Group>
        </Checkbox.Group>
        <Textarea
          label="Note for the agent"
          maxLength={2000}
          value={note}
          onChange={(event) => setNote(event.currentTarget.value)}
          error={errors?.field('note')}
        />
        <RetryingNote retrying={save.retrying} />
        {errors && <ErrorAlert error={save.error} inputs={INPUTS} title="Review not saved" />}
        <Button type="submit" variant="default" loading={save.isPending} w="fit-content">
          {review ? 'Change review' : 'Save review'}
        </Button>
      </Stack>
    </form>
  );
}
