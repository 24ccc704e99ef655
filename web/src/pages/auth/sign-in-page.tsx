import { Alert, Anchor, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../../api/session-context';
import { Page } from '../../ui/page';
import { CredentialsForm } from './credentials-form';

/** Email and password; on success the guard sends the user on (to `next`, or home). */
export default function SignInPage() {
  const { signIn, problem } = useSession();
  const [params] = useSearchParams();

  return (
    <Page title="Sign in">
      {problem && (
        <Alert color="yellow" title="Signed out">
          {problem}
        </Alert>
      )}
      <CredentialsForm
        submit={signIn}
        newPassword={false}
        action="Sign in"
        failure="Could not sign in"
      />
      <Text size="sm">
        New to Handoff?{' '}
        <Anchor component={Link} to={{ pathname: '/sign-up', search: params.toString() }}>
          Sign up as an agent
        </Anchor>{' '}
        or{' '}
        <Anchor component={Link} to={{ pathname: '/sign-up/company', search: params.toString() }}>
          sign up your company
        </Anchor>
      </Text>
    </Page>
  );
}
