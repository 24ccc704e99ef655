import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';

const INPUTS = ['email', 'password'];

interface Props {
  /** Signs in or signs up; its error is shown by the field it names. */
  submit: (credentials: { email: string; password: string }) => Promise<unknown>;
  /** A new account's password (browsers offer to generate one) or an existing one's. */
  newPassword: boolean;
  action: string;
  failure: string;
}

/** The email and password form of sign-in and sign-up. */
export function CredentialsForm({ submit, newPassword, action, failure }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const attempt = useMutation({ mutationFn: submit });
  const errors = problemOf(attempt.error, INPUTS);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        attempt.mutate({ email, password });
      }}
    >
      <Stack>
        <TextInput
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(event) => setEmail(event.currentTarget.value)}
          error={errors?.field('email')}
        />
        <PasswordInput
          label="Password"
          // Mantine's "Toggle password visibility" also matches getByLabel('Password').
          visibilityToggleButtonProps={{ 'aria-label': 'Show the characters' }}
          description={newPassword ? '12 to 128 characters' : undefined}
          autoComplete={newPassword ? 'new-password' : 'current-password'}
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={errors?.field('password')}
        />
        <ErrorAlert error={attempt.error} inputs={INPUTS} title={failure} />
        <Button type="submit" loading={attempt.isPending}>
          {action}
        </Button>
      </Stack>
    </form>
  );
}
