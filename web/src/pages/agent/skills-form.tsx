import { Button, Card, Group, Select, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { forTheAsker } from '../../api/keyed-call';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { refresh } from '../../api/refresh';
import { keepFocusNear } from '../../ui/use-dialog';
import { skillOptions, useTaxonomy } from './use-skill-names';

type Skill = Schemas['AgentSkillDto'];
type Row = { skill: string | null; level: string | null };

const LEVELS = ['1', '2', '3', '4', '5'].map((value) => ({
  value,
  label: `${value}${value === '1' ? ' (beginner)' : value === '5' ? ' (expert)' : ''}`,
}));

/** The agent's skills from the platform taxonomy, each at a level 1–5; saved as a whole (PUT). */
export function SkillsForm({ skills }: { skills: Skill[] }) {
  const queryClient = useQueryClient();
  // Retired ones too: a skill the agent holds that an admin retired since must show (named,
  // marked retired), not as an empty field the agent might clear and save away.
  const taxonomy = useTaxonomy();
  const [rows, setRows] = useState<Row[]>(
    skills.map((s) => ({ skill: s.skill, level: String(s.level) })),
  );
  const save = useMutation({
    // (For the user who saved them: written into the cache the next user would read.)
    mutationFn: (body: Schemas['ReplaceAgentSkillsDto']) =>
      forTheAsker(() => unwrap(api.PUT('/v1/agents/me/skills', { body }))),
    onSuccess: (saved) => {
      queryClient.setQueryData(keys.mySkills, saved);
      void refresh(queryClient, keys.openShifts);
      notifications.show({ color: 'green', message: 'Skills saved' });
    },
  });
  const inputs = rows.flatMap((_, i) => [`skills.${i}.skill`, `skills.${i}.level`]);
  const errors = problemOf(save.error, inputs);
  // Retired skills cannot be added, but one the agent already holds stays visible.
  const options = skillOptions(
    taxonomy.data,
    rows.map((r) => r.skill),
  );
  const update = (index: number, change: Partial<Row>) =>
    setRows((all) => all.map((row, i) => (i === index ? { ...row, ...change } : row)));

  return (
    <Card withBorder component="section" aria-labelledby="skills-heading">
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          // Saved, the form is remounted with what the API holds (its key): the focus goes to
          // the new Save button rather than to the page's start.
          const submit = document.getElementById('save-skills');
          if (submit) keepFocusNear(submit);
          save.mutate({
            skills: rows.map((r) => ({ skill: r.skill ?? '', level: Number(r.level ?? 0) })),
          });
        }}
      >
        <Stack>
          <Title order={2} id="skills-heading" size="h3">
            Skills
          </Title>
          <Text size="sm">Shifts and tickets ask for skills at a minimum level.</Text>
          <ErrorAlert error={taxonomy.error} title="The skills list could not be loaded" />
          {rows.length === 0 && <Text size="sm">You have not added any skills.</Text>}
          {rows.map((row, i) => (
            <Group key={i} align="flex-start" wrap="wrap">
              <Select
                label={`Skill ${i + 1}`}
                data={options}
                searchable
                value={row.skill}
                onChange={(skill) => update(i, { skill })}
                error={errors?.field(`skills.${i}.skill`)}
                style={{ flex: '1 1 12rem' }}
              />
              <Select
                label={`Level of skill ${i + 1}`}
                data={LEVELS}
                value={row.level}
                onChange={(level) => update(i, { level })}
                error={errors?.field(`skills.${i}.level`)}
                w={150}
              />
              <Button
                variant="default"
                mt={25}
                onClick={() => setRows((all) => all.filter((_, j) => j !== i))}
                aria-label={`Remove skill ${i + 1}`}
              >
                Remove
              </Button>
            </Group>
          ))}
          <ErrorAlert error={save.error} inputs={inputs} title="Skills not saved" />
          <Group>
            <Button
              variant="default"
              onClick={() => setRows((all) => [...all, { skill: null, level: '3' }])}
            >
              Add a skill
            </Button>
            <Button type="submit" id="save-skills" loading={save.isPending}>
              Save skills
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
