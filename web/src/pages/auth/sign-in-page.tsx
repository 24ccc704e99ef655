import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../../api/session-context';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { Page } from '../../ui/page';

const INPUTS = ['email', 'password'];

/** Email and password; on success the guard sends the user on (to `next`, or home). */
export default function SignInPage() {
  const { signIn, problem } = useSession();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const attempt = useMutation({ mutationFn: signIn });
  const errors = problemOf(attempt.error, INPUTS);

  return (
    <Page title="Sign in">
      {problem && (
        <Alert color="yellow" title="Signed out">
          {problem}
        </Alert>
      )}
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
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={errors?.field('password')}
          />
          <ErrorAlert error={attempt.error} inputs={INPUTS} title="Could not sign in" />
          <Button type="submit" loading={attempt.isPending}>
            Sign in
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        New to Handoff?{' '}
        <Anchor component={Link} to={{ pathname: '/sign-up', search: params.toString() }}>
          Sign up as an agent
        </Anchor>
      </Text>
    </Page>
  );
}
