import { Button, Group, Radio, Stack, TagsInput, Textarea } from '@mantine/core';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { draftSubmissionKey, useDraft } from '../../ui/drafts';
import { problemOf } from '../../ui/form-errors';
import { useTicketExit } from './use-ticket-exit';

const INPUTS = ['resolutionSummary', 'handoff', 'handoff.missing'];
/** The API's limits on what was missing (HandoffFlagDto): 10 items of 1–80 characters. */
const MOST_MISSING = 10;
const LONGEST_ITEM = 80;

type Handoff = '' | 'complete' | 'incomplete';

/**
 * Resolve: the summary goes to the company; the ticket pays what its claim was made at. The
 * agent may also say whether the bot's handoff had what the ticket needed, and what was
 * missing: it feeds the company's handoff quality. Not saying is fine (nothing is sent).
 */
export function ResolveForm({ ticketId }: { ticketId: string }) {
  const [summary, setSummary] = useDraft(`ticket:${ticketId}:resolution`);
  // Drafts too, with the summary: an agent who answered them and went to another page found the
  // summary and lost the rest.
  const [handoffDraft, setHandoff] = useDraft(`ticket:${ticketId}:handoff`);
  const handoff = handoffDraft as Handoff;
  const [missingDraft, setMissingDraft] = useDraft(`ticket:${ticketId}:handoff-missing`);
  const missing = missingDraft === '' ? [] : (JSON.parse(missingDraft) as string[]);
  const setMissing = (items: string[]) =>
    setMissingDraft(items.length === 0 ? '' : JSON.stringify(items));
  const exit = useTicketExit(ticketId);
  // A resolve sent again after no answer came gets the first answer: without the key, a retry
  // after the company reopened the ticket and this agent took it again resolved the new claim.
  const resolve = useKeyedMutation({
    // Kept with the draft: sent again after the page was left and opened again, the same key.
    submission: draftSubmissionKey(`ticket:${ticketId}:resolution`),
    mutationFn: (request: { ticketId: string; body: Schemas['ResolveTicketDto'] }, key) =>
      unwrap(
        api.POST('/v1/tickets/{id}/resolve', {
          params: { path: { id: request.ticketId }, header: { 'Idempotency-Key': key } },
          body: request.body,
        }),
      ),
    onSuccess: () => exit('Ticket resolved. Its pay is pending in your earnings.'),
  });
  const errors = problemOf(resolve.error, INPUTS);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const flag: Schemas['HandoffFlagDto'] | undefined =
          handoff === ''
            ? undefined
            : handoff === 'complete'
              ? { complete: true }
              : { complete: false, ...(missing.length > 0 && { missing }) };
        resolve.mutate({
          ticketId,
          body: { resolutionSummary: summary, ...(flag && { handoff: flag }) },
        });
      }}
    >
      <Stack gap="xs">
        <Textarea
          label="Resolution summary"
          description="What you did, for the company (for example a refund reference)"
          autosize
          minRows={2}
          value={summary}
          onChange={(event) => setSummary(event.currentTarget.value)}
          error={errors?.field('resolutionSummary')}
        />
        <Radio.Group
          label="Did the bot hand over what you needed?"
          description="Optional: it tells the company how well its bot hands customers over"
          value={handoff}
          onChange={(value) => setHandoff(value as Handoff)}
          error={errors?.field('handoff')}
        >
          <Group mt={4}>
            <Radio value="complete" label="Yes" />
            <Radio value="incomplete" label="No, something was missing" />
          </Group>
        </Radio.Group>
        {handoff === 'incomplete' && (
          <TagsInput
            label="What was missing"
            description={`Press Enter after each, up to ${MOST_MISSING} (for example “order id”)`}
            value={missing}
            onChange={setMissing}
            maxTags={MOST_MISSING}
            maxLength={LONGEST_ITEM}
            clearable
            error={errors?.field('handoff.missing')}
          />
        )}
        <RetryingNote retrying={resolve.retrying} />
        <ErrorAlert error={resolve.error} inputs={INPUTS} title="Not resolved" />
        <Button type="submit" color="teal.9" loading={resolve.isPending} w="fit-content">
          Resolve ticket
        </Button>
      </Stack>
    </form>
  );
}
