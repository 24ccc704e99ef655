import { Badge, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert, RowErrorAlerts } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useRowActions } from '../../ui/use-row-actions';
import { refresh as reread } from '../../api/refresh';

const INPUTS = ['code', 'name'];

/**
 * The skills taxonomy: add a skill; retire one (shifts and profiles can no longer pick it; what
 * already uses it keeps working), reinstate a retired one.
 */
export default function SkillsPage() {
  const queryClient = useQueryClient();
  const skills = useQuery({
    queryKey: [...keys.skills, 'all'],
    queryFn: () => unwrap(api.GET('/v1/skills', { params: { query: { includeRetired: true } } })),
  });
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const refresh = () => void reread(queryClient, keys.skills);
  const add = useKeyedMutation({
    mutationFn: (body: { code: string; name: string }, key) =>
      unwrap(api.POST('/v1/skills', { params: { header: { 'Idempotency-Key': key } }, body })),
    onSuccess: (_skill, body) => {
      setCode((typed) => (typed === body.code ? '' : typed));
      setName((typed) => (typed === body.name ? '' : typed));
      refresh();
    },
  });
  // Per row: retiring a second skill before the first answered hid the first's failure.
  const change = useRowActions({
    rowOf: (v: { skill: string; retire: boolean }) => v.skill,
    mutationFn: ({ skill, retire }: { skill: string; retire: boolean }, key) => {
      const params = { path: { code: skill }, header: { 'Idempotency-Key': key } };
      return retire
        ? unwrap(api.DELETE('/v1/skills/{code}', { params }))
        : unwrap(api.POST('/v1/skills/{code}/reinstate', { params }));
    },
    onSettled: () => reread(queryClient, keys.skills),
  });
  const errors = problemOf(add.error, INPUTS);
  const zone = browserZone();
  return (
    <Page title="Skills">
      <Stack component="section" aria-labelledby="add-heading" gap="sm">
        <Title order={2} id="add-heading" size="h3">
          Add a skill
        </Title>
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate({ code, name });
          }}
        >
          <Group align="flex-start">
            <TextInput
              label="Code"
              description="a-z, 0-9 and _, starting with a letter; never changes"
              value={code}
              onChange={(event) => setCode(event.currentTarget.value)}
              error={errors?.field('code')}
            />
            <TextInput
              label="Name"
              description="What agents and companies read"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              error={errors?.field('name')}
            />
            <Button type="submit" loading={add.isPending} mt={44}>
              Add skill
            </Button>
          </Group>
        </form>
        <RetryingNote retrying={add.retrying} />
        <ErrorAlert error={add.error} inputs={INPUTS} title="No skill added" />
      </Stack>
      <Stack component="section" aria-labelledby="skills-heading" gap="sm">
        <Title order={2} id="skills-heading" size="h3">
          Taxonomy
        </Title>
        <Text size="sm">
          A retired skill can no longer be chosen; shifts and profiles that have it keep it.
        </Text>
        {skills.isPending && <Loading label="Loading the skills" />}
        <ErrorAlert error={skills.error} title="The skills could not be loaded" />
        <RowErrorAlerts
          actions={change}
          title={(v) => `Not ${v.retire ? 'retired' : 'reinstated'}: ${v.skill}`}
        />
        {skills.data && (
          <ScrollTable label="Skills">
            <Table miw={640}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Code</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Action</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {skills.data.map((skill) => {
                  const retired = skill.retiredAt !== null;
                  return (
                    <Table.Tr key={skill.code}>
                      <Table.Td>{skill.code}</Table.Td>
                      <Table.Td>{skill.name}</Table.Td>
                      <Table.Td>
                        {retired ? (
                          <Badge variant="light" color="gray">
                            retired {formatInstant(skill.retiredAt!, zone)}
                          </Badge>
                        ) : (
                          <Badge variant="light" color="green">
                            in use
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Button
                          size="xs"
                          variant="default"
                          loading={change.busy((v) => v.skill === skill.code)}
                          onClick={() => change.mutate({ skill: skill.code, retire: !retired })}
                          aria-label={`${retired ? 'Reinstate' : 'Retire'} ${skill.name} (${skill.code})`}
                        >
                          {retired ? 'Reinstate' : 'Retire'}
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Stack>
    </Page>
  );
}
