import { Button, Group, Select, Stack, Text, Textarea } from '@mantine/core';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { draftSubmissionKey, useDraft } from '../../ui/drafts';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { useTicketExit } from './use-ticket-exit';
import { skillOptions, useTaxonomy } from './use-skill-names';

type Row = { skill: string | null; minLevel: string | null };
const LEVELS = ['1', '2', '3', '4', '5'];

/**
 * Transfer: the ticket goes back to the queue needing other skills (its priority and deadline
 * kept), with a note for the next agent; not a mark against this one.
 */
export function TransferForm({ ticket }: { ticket: Schemas['AgentTicketDto'] }) {
  const exit = useTicketExit(ticket.id);
  const taxonomy = useTaxonomy();
  // The skills as the ticket needs them, until edited; then a draft (kept while the agent is on
  // another page, as the note is).
  const asNeeded = (): Row[] =>
    ticket.requiredSkills.map((s) => ({ skill: s.skill, minLevel: String(s.minLevel) }));
  const [rowsDraft, setRowsDraft] = useDraft(`ticket:${ticket.id}:transfer-skills`);
  const read = (draft: string): Row[] => (draft === '' ? asNeeded() : (JSON.parse(draft) as Row[]));
  const rows = read(rowsDraft);
  const setRows = (change: (all: Row[]) => Row[]) =>
    setRowsDraft((draft) => JSON.stringify(change(read(draft))));
  // A draft, as the summary and the message are: kept while the agent is on another page.
  const [note, setNote] = useDraft(`ticket:${ticket.id}:transfer-note`);
  // As for a release: a transfer whose answer was lost, sent again, is answered as the first
  // (without a key, the retry met 409 "not claimed by you" and said nothing of the transfer).
  const transfer = useKeyedMutation({
    // Kept with the draft: sent again after the page was left and opened again, the same key.
    submission: draftSubmissionKey(`ticket:${ticket.id}:transfer-note`),
    mutationFn: (request: { ticketId: string; body: Schemas['TransferTicketDto'] }, key) =>
      unwrap(
        api.POST('/v1/tickets/{id}/transfer', {
          params: { path: { id: request.ticketId }, header: { 'Idempotency-Key': key } },
          body: request.body,
        }),
      ),
    onSuccess: () => exit('Ticket transferred with your note.'),
  });
  const inputs = [
    'note',
    ...rows.flatMap((_, i) => [`requiredSkills.${i}.skill`, `requiredSkills.${i}.minLevel`]),
  ];
  const errors = problemOf(transfer.error, inputs);
  // A skill the ticket needs that was retired since shows, as retired, to be changed: the API
  // refuses it, and outside the choices its field showed blank.
  const options = skillOptions(
    taxonomy.data,
    rows.map((r) => r.skill),
  );
  const update = (index: number, change: Partial<Row>) =>
    setRows((all) => all.map((row, i) => (i === index ? { ...row, ...change } : row)));

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        transfer.mutate({
          ticketId: ticket.id,
          body: {
            requiredSkills: rows.map((r) => ({
              skill: r.skill ?? '',
              minLevel: Number(r.minLevel ?? 0),
            })),
            note,
          },
        });
      }}
    >
      <Stack gap="xs">
        <Text size="sm">
          Set the skills the ticket really needs; another agent will pick it up.
        </Text>
        {rows.map((row, i) => (
          <Group key={i} align="flex-start" wrap="wrap">
            <Select
              label={`Needed skill ${i + 1}`}
              data={options}
              searchable
              value={row.skill}
              onChange={(skill) => update(i, { skill })}
              error={errors?.field(`requiredSkills.${i}.skill`)}
              style={{ flex: '1 1 12rem' }}
            />
            <Select
              label={`Minimum level of skill ${i + 1}`}
              data={LEVELS}
              value={row.minLevel}
              onChange={(minLevel) => update(i, { minLevel })}
              error={errors?.field(`requiredSkills.${i}.minLevel`)}
              w={180}
            />
            <Button
              variant="default"
              mt={25}
              onClick={() => setRows((all) => all.filter((_, j) => j !== i))}
              aria-label={`Remove needed skill ${i + 1}`}
            >
              Remove
            </Button>
          </Group>
        ))}
        <Button
          variant="default"
          w="fit-content"
          disabled={rows.length >= 5}
          onClick={() => setRows((all) => [...all, { skill: null, minLevel: '1' }])}
        >
          Add a needed skill
        </Button>
        <Textarea
          label="Note for the next agent"
          description="The company that posted the ticket reads it too; the customer does not"
          autosize
          minRows={2}
          value={note}
          onChange={(event) => setNote(event.currentTarget.value)}
          error={errors?.field('note')}
        />
        <RetryingNote retrying={transfer.retrying} />
        <ErrorAlert error={transfer.error} inputs={inputs} title="Not transferred" />
        <Button type="submit" variant="default" loading={transfer.isPending} w="fit-content">
          Transfer ticket
        </Button>
      </Stack>
    </form>
  );
}
