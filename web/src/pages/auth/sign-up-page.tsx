import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../../api/session-context';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { Page } from '../../ui/page';

const INPUTS = ['email', 'password'];

/**
 * Agent sign-up; it signs the agent in, and the guard takes them to the desk. (Company sign-up
 * comes with the company pages.)
 */
export default function SignUpPage() {
  const { signUp } = useSession();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const attempt = useMutation({ mutationFn: signUp });
  const errors = problemOf(attempt.error, INPUTS);

  return (
    <Page title="Sign up as an agent">
      <Text>
        Take seats on companies&apos; shifts and handle the customer conversations their bots
        escalate. You are paid for every ticket you resolve.
      </Text>
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
            description="12 to 128 characters"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={errors?.field('password')}
          />
          <ErrorAlert error={attempt.error} inputs={INPUTS} title="Could not sign up" />
          <Button type="submit" loading={attempt.isPending}>
            Create my account
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        Already have an account?{' '}
        <Anchor component={Link} to={{ pathname: '/sign-in', search: params.toString() }}>
          Sign in
        </Anchor>
      </Text>
    </Page>
  );
}
