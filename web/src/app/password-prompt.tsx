import { Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, useSyncExternalStore } from 'react';
import {
  passwordPromptFor,
  settlePasswordPrompt,
  subscribePasswordPrompt,
} from '../api/password-prompt';
import { reauthenticate } from '../api/session';
import { useSession } from '../api/session-context';
import { ErrorAlert } from '../ui/error-alert';
import { problemOf } from '../ui/form-errors';

const INPUTS = ['password'];

/**
 * Asks for the password again when a step that hands out lasting access (an API key, a
 * webhook's address or secret, payout onboarding) finds the sign-in too old: once given, the
 * step goes on by itself; cancelled, the page says the step was refused.
 */
export function PasswordPrompt() {
  const asked = useSyncExternalStore(subscribePasswordPrompt, passwordPromptFor);
  const { status, user } = useSession();
  // Signed out meanwhile, or in as someone else (here or in another tab, whose cookie this tab
  // follows): the call that asked is not theirs, and nothing is waiting to be proved.
  const stale = asked !== null && (status !== 'signed-in' || user?.id !== asked);
  useEffect(() => {
    if (stale) settlePasswordPrompt(false);
  }, [stale]);
  if (asked === null || stale) return null;
  return <PromptDialog />;
}

function PromptDialog() {
  const [password, setPassword] = useState('');
  const confirm = useMutation({
    mutationFn: () => reauthenticate(password),
    onSuccess: () => settlePasswordPrompt(true),
  });
  const cancel = () => {
    if (!confirm.isPending) settlePasswordPrompt(false);
  };
  return (
    <Modal opened onClose={cancel} title="Confirm it is you">
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          confirm.mutate();
        }}
      >
        <Stack>
          <Text size="sm">
            This step hands out lasting access to your account, and you signed in a while ago. Enter
            your password to go on.
          </Text>
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={problemOf(confirm.error, INPUTS)?.field('password')}
            data-autofocus
            required
          />
          <ErrorAlert error={confirm.error} inputs={INPUTS} title="Not confirmed" />
          <Group justify="flex-end">
            <Button variant="default" onClick={cancel} disabled={confirm.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={confirm.isPending}>
              Confirm
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
