import { Anchor, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../../api/session-context';
import { Page } from '../../ui/page';
import { CredentialsForm } from './credentials-form';

/**
 * Agent sign-up; it signs the agent in, and the guard takes them to the desk. (Company sign-up
 * comes with the company pages.)
 */
export default function SignUpPage() {
  const { signUp } = useSession();
  const [params] = useSearchParams();

  return (
    <Page title="Sign up as an agent">
      <Text>
        Take seats on companies&apos; shifts and handle the customer conversations their bots
        escalate. You are paid for every ticket you resolve.
      </Text>
      <CredentialsForm
        submit={signUp}
        newPassword={true}
        action="Create my account"
        failure="Could not sign up"
      />
      <Text size="sm">
        Already have an account?{' '}
        <Anchor component={Link} to={{ pathname: '/sign-in', search: params.toString() }}>
          Sign in
        </Anchor>
      </Text>
    </Page>
  );
}
