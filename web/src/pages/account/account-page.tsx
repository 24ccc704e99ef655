import { Button, Card, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { changePassword } from '../../api/session';
import { useSession } from '../../api/session-context';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { Page } from '../../ui/page';

const INPUTS = ['currentPassword', 'newPassword'];

/** The signed-in person's account, whatever the role: who they are, and their password. */
export default function AccountPage() {
  const { user } = useSession();
  return (
    <Page title="Account">
      <Text>
        Signed in as <strong>{user?.email}</strong>.
      </Text>
      <PasswordForm />
    </Page>
  );
}

/**
 * A new password, given the current one. The API ends every login of the account (this one
 * too: a stolen session is why people change passwords), and this tab signs in again with the
 * new password, so the person stays where they are.
 */
function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => changePassword({ currentPassword: current, newPassword: next }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      notifications.show({
        color: 'green',
        message: 'Password changed. Every other sign-in of this account has ended.',
      });
    },
  });
  const errors = problemOf(change.error, INPUTS);
  return (
    <Card withBorder component="section" aria-labelledby="password-heading" maw={480}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const differs = next !== repeat;
          setMismatch(differs);
          if (!differs) change.mutate();
        }}
      >
        <Stack>
          <Title order={2} id="password-heading" size="h3">
            Password
          </Title>
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            value={current}
            onChange={(event) => setCurrent(event.currentTarget.value)}
            error={errors?.field('currentPassword')}
          />
          <PasswordInput
            label="New password"
            description="12 to 128 characters. Other browsers and devices are signed out."
            autoComplete="new-password"
            value={next}
            onChange={(event) => setNext(event.currentTarget.value)}
            error={errors?.field('newPassword')}
          />
          <PasswordInput
            label="New password again"
            autoComplete="new-password"
            value={repeat}
            onChange={(event) => setRepeat(event.currentTarget.value)}
            error={mismatch ? 'Not the same as the new password' : undefined}
          />
          <ErrorAlert error={change.error} inputs={INPUTS} title="Password not changed" />
          <Group justify="flex-end">
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
