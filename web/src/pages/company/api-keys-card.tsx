import {
  Button,
  Card,
  Code,
  Group,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert, ReadErrorAlert, RowErrorAlerts } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { ShownOnce } from '../../ui/shown-once';
import { problemOf } from '../../ui/form-errors';
import { Loading } from '../../ui/loading';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { ConfirmButton } from '../../ui/confirm-button';
import { type RowActions, useRowActions } from '../../ui/use-row-actions';
import { refresh } from '../../api/refresh';

const INPUTS = ['name'];

/**
 * The bot's API keys: create one (shown once, with a copy button: the API keeps only its hash),
 * list the active ones by prefix with when each was last used, revoke.
 */
export function ApiKeysCard() {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: keys.apiKeys,
    queryFn: () => unwrap(api.GET('/v1/companies/me/api-keys')),
  });
  const [name, setName] = useState('');
  // Every key created on this visit stays shown (a second created before the first was copied
  // replaced it, lost for good), until it is revoked.
  const [created, setCreated] = useState<Schemas['CreatedApiKeyDto'][]>([]);
  const create = useKeyedMutation({
    mutationFn: (body: { name: string }, key) =>
      unwrap(
        api.POST('/v1/companies/me/api-keys', {
          params: { header: { 'Idempotency-Key': key } },
          body,
        }),
      ),
    onSuccess: (key, body) => {
      setCreated((shown) => [key, ...shown.filter((k) => k.id !== key.id)]);
      setName((typed) => (typed === body.name ? '' : typed));
      void refresh(queryClient, keys.apiKeys);
    },
  });
  // Per key: revoking a second key before the first answered hid the first's failure.
  const revoke = useRowActions({
    rowOf: (v: Revoke) => v.id,
    mutationFn: async ({ id }: Revoke) => {
      await unwrap(api.DELETE('/v1/companies/me/api-keys/{id}', { params: { path: { id } } }));
      // Revoked: it works no more, nothing of it to copy.
      setCreated((shown) => shown.filter((k) => k.id !== id));
    },
    onSettled: () => refresh(queryClient, keys.apiKeys),
  });
  const errors = problemOf(create.error, INPUTS);

  return (
    <Card withBorder component="section" aria-labelledby="keys-heading">
      <Stack>
        <Title order={2} id="keys-heading" size="h3">
          API keys
        </Title>
        <Text size="sm">
          Your bot escalates conversations and relays the customer&apos;s messages with a key, sent
          as <Code>Authorization: Bearer …</Code>.
        </Text>
        {created.map((k) => (
          <ShownOnce
            key={k.id}
            title={`Key “${k.name}” created`}
            label={`The new API key “${k.name}”`}
            value={k.key}
          />
        ))}
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate({ name });
          }}
        >
          <Group align="flex-end">
            <TextInput
              label="Key name"
              description="Which bot or environment uses it"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              error={errors?.field('name')}
            />
            <Button type="submit" loading={create.isPending}>
              Create key
            </Button>
          </Group>
        </form>
        <RetryingNote retrying={create.retrying} />
        <ErrorAlert error={create.error} inputs={INPUTS} title="No key created" />
        <RowErrorAlerts actions={revoke} title={(v) => `Not revoked: ${v.name}`} />
        {list.isPending && <Loading label="Loading your keys" />}
        <ReadErrorAlert query={list} title="Your keys could not be loaded" />
        {list.data && list.data.length === 0 && <Text size="sm">No active key.</Text>}
        {list.data && list.data.length > 0 && <KeysTable keys={list.data} revoke={revoke} />}
      </Stack>
    </Card>
  );
}

interface Revoke {
  id: string;
  /** Named in its failure. */
  name: string;
}

function KeysTable({
  keys: rows,
  revoke,
}: {
  keys: Schemas['ApiKeyDto'][];
  revoke: RowActions<Revoke>;
}) {
  return (
    <ScrollTable label="Active API keys">
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Starts with</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((key) => (
            <Table.Tr key={key.id}>
              <Table.Td>{key.name}</Table.Td>
              <Table.Td>
                <Code>{key.prefix}…</Code>
              </Table.Td>
              <Table.Td>{formatInstant(key.createdAt, browserZone())}</Table.Td>
              <Table.Td>
                {key.lastUsedAt ? formatInstant(key.lastUsedAt, browserZone()) : 'Never'}
              </Table.Td>
              <Table.Td>
                <ConfirmButton
                  size="xs"
                  variant="default"
                  loading={revoke.busy((v) => v.id === key.id)}
                  aria-label={`Revoke key ${key.name}`}
                  title={`Revoke key ${key.name}?`}
                  consequence="Your bot's calls with this key are refused from now on: escalations sent with it will fail. This cannot be undone."
                  confirmLabel="Revoke the key"
                  keepLabel="Keep it"
                  onConfirm={() => revoke.mutate({ id: key.id, name: key.name })}
                >
                  Revoke
                </ConfirmButton>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}
