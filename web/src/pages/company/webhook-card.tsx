import { Alert, Button, Card, Code, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert, ReadErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { ShownOnce } from '../../ui/shown-once';
import { problemOf } from '../../ui/form-errors';
import { Loading } from '../../ui/loading';
import { ConfirmButton } from '../../ui/confirm-button';
import { refresh as reread } from '../../api/refresh';

const INPUTS = ['url'];

/** The webhook: where ticket events go, its signing secret (shown only when set or rotated). */
export function WebhookCard() {
  const queryClient = useQueryClient();
  const current = useQuery({
    queryKey: keys.webhook,
    // 404: no webhook yet (null here, so the form starts empty).
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/v1/companies/me/webhook'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  const [url, setUrl] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  // Whether the last save was to create the webhook (its answer carries the secret).
  const [creating, setCreating] = useState(false);
  const refresh = () => {
    void reread(queryClient, keys.webhook);
    void reread(queryClient, keys.deliveries);
  };
  const save = useMutation({
    mutationFn: (body: { url: string }) => unwrap(api.PUT('/v1/companies/me/webhook', { body })),
    // No answer: it may have been set all the same, and its secret was in the answer lost. The
    // webhook is read again; set now, the page says how to get a secret (a retry would answer
    // none: the secret is shown when the webhook is created, and rotating gives a new one).
    onError: () => void reread(queryClient, keys.webhook),
    onSuccess: ({ secret: shownOnce, ...saved }) => {
      if (shownOnce) setSecret(shownOnce);
      // The field goes back to showing the saved webhook: set here from the answer, not left to
      // the read again, which until it came (or for good, if it failed) showed the old address.
      queryClient.setQueryData(keys.webhook, saved);
      setUrl(null);
      refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/companies/me/webhook/rotate-secret')),
    // A secret on screen is the one this replaces: gone as the rotation goes out, and for good
    // when no answer comes back (it may have been rotated all the same: one left showing would
    // be set up on the receiver, which would then refuse every delivery).
    onMutate: () => setSecret(null),
    onSuccess: (set) => setSecret(set.secret),
  });
  // Only a refusal (4xx) says for sure that nothing was rotated (or set).
  const unanswered = (error: unknown) =>
    error !== null && !(error instanceof ApiError && error.status < 500);
  const mayHaveRotated = unanswered(rotate.error);
  // Set by a request whose answer (with the secret) never came: the webhook is there now and no
  // secret was shown.
  const setUnseen = creating && unanswered(save.error) && !secret && !!current.data;
  const test = useKeyedMutation({
    mutationFn: (_: void, key) =>
      unwrap(
        api.POST('/v1/companies/me/webhook/test', {
          params: { header: { 'Idempotency-Key': key } },
        }),
      ),
    onSuccess: refresh,
  });
  const errors = problemOf(save.error, INPUTS);
  const shown = url ?? current.data?.url ?? '';

  return (
    <Card withBorder component="section" aria-labelledby="webhook-heading">
      <Stack>
        <Title order={2} id="webhook-heading" size="h3">
          Webhook
        </Title>
        <Text size="sm">
          Handoff posts ticket events (claimed, messages for the customer, resolved, …) to this
          address, signed with the secret (<Code>Handoff-Signature</Code>), retrying with backoff
          until your server answers 2xx.
        </Text>
        {current.isPending && <Loading label="Loading your webhook" />}
        <ReadErrorAlert query={current} title="Your webhook could not be loaded" />
        {secret && <ShownOnce title="Signing secret" label="The signing secret" value={secret} />}
        {current.data !== undefined && (
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              setCreating(!current.data);
              save.mutate({ url: shown });
            }}
          >
            <Group align="flex-end">
              <TextInput
                label="Webhook URL"
                description="https, reachable from the internet"
                type="url"
                value={shown}
                onChange={(event) => setUrl(event.currentTarget.value)}
                error={errors?.field('url')}
                style={{ flex: '1 1 20rem' }}
              />
              <Button type="submit" loading={save.isPending}>
                {current.data ? 'Save URL' : 'Set webhook'}
              </Button>
            </Group>
          </form>
        )}
        {setUnseen ? (
          <Alert color="yellow" title="Webhook set, its secret not received" role="alert">
            <Text size="sm">
              The webhook was saved, but the answer carrying its signing secret (shown only once)
              was lost on the way: rotate the secret to get one you can copy.
            </Text>
          </Alert>
        ) : (
          <ErrorAlert error={save.error} inputs={INPUTS} title="Webhook not saved" />
        )}
        {current.data && (
          <Group>
            <Button variant="default" loading={test.isPending} onClick={() => test.mutate()}>
              Send a test event
            </Button>
            <ConfirmButton
              variant="default"
              loading={rotate.isPending}
              title="Rotate the signing secret?"
              consequence="Every delivery from now on is signed with a new secret, shown once. Until your receiver has it, it will refuse them (they are retried, and can be redelivered)."
              confirmLabel="Rotate the secret"
              keepLabel="Keep the current secret"
              onConfirm={() => rotate.mutate()}
            >
              Rotate the secret
            </ConfirmButton>
          </Group>
        )}
        {test.isSuccess && (
          <Text size="sm" role="status">
            Test event queued: it shows in the deliveries below.
          </Text>
        )}
        <RetryingNote retrying={test.retrying} />
        <ErrorAlert error={test.error} title="No test event sent" />
        <ErrorAlert
          error={rotate.error}
          title={mayHaveRotated ? 'Rotation not confirmed' : 'Secret not rotated'}
        />
        {mayHaveRotated && (
          <Text size="sm" role="status">
            It may have been rotated all the same, and a new secret is only shown once: rotate it
            again to get one you can copy.
          </Text>
        )}
      </Stack>
    </Card>
  );
}
