import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';

const INPUTS = ['companyName', 'email', 'password'];

export interface Credentials {
  email: string;
  password: string;
  /** Only with `withCompany` (a company's sign-up). */
  companyName?: string;
}

interface Props {
  /** Signs in or signs up; its error is shown by the field it names. */
  submit: (credentials: Credentials) => Promise<unknown>;
  /** Asks for the company's name first (a company admin's sign-up). */
  withCompany?: boolean;
  /** A new account's password (browsers offer to generate one) or an existing one's. */
  newPassword: boolean;
  action: string;
  failure: string;
}

/** The email and password form of sign-in and sign-up. */
export function CredentialsForm({ submit, withCompany, newPassword, action, failure }: Props) {
  const [companyName, setCompanyName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const attempt = useMutation({ mutationFn: submit });
  const errors = problemOf(attempt.error, INPUTS);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        attempt.mutate(withCompany ? { companyName, email, password } : { email, password });
      }}
    >
      <Stack>
        {withCompany && (
          <TextInput
            label="Company name"
            description="As agents will see it on your shifts"
            autoComplete="organization"
            value={companyName}
            onChange={(event) => setCompanyName(event.currentTarget.value)}
            error={errors?.field('companyName')}
          />
        )}
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
