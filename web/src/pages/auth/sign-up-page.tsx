import { Anchor, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../../api/session-context';
import { Page } from '../../ui/page';
import { CredentialsForm } from './credentials-form';

/**
 * Sign-up, as an agent (/sign-up) or a company (/sign-up/company); it signs the new user in,
 * and the guard takes them to their home.
 */
export default function SignUpPage({ company = false }: { company?: boolean }) {
  const { signUp } = useSession();
  const [params] = useSearchParams();
  const other = { pathname: company ? '/sign-up' : '/sign-up/company', search: params.toString() };

  return (
    <Page title={company ? 'Sign up your company' : 'Sign up as an agent'}>
      <Text>
        {company
          ? 'Post shifts for the conversations your AI assistant cannot finish, escalate them from your bot with an API key, and pay per resolved ticket.'
          : "Take seats on companies' shifts and handle the customer conversations their bots escalate. You are paid for every ticket you resolve."}
      </Text>
      <CredentialsForm
        submit={(c) =>
          signUp(
            company
              ? { ...c, role: 'company_admin' }
              : { email: c.email, password: c.password, role: 'agent' },
          )
        }
        withCompany={company}
        newPassword={true}
        action={company ? 'Create the company account' : 'Create my account'}
        failure="Could not sign up"
      />
      <Text size="sm">
        {company ? 'Looking for work as an agent? ' : 'Signing up a company? '}
        <Anchor component={Link} to={other}>
          {company ? 'Sign up as an agent' : 'Sign up your company'}
        </Anchor>
      </Text>
      <Text size="sm">
        Already have an account?{' '}
        <Anchor component={Link} to={{ pathname: '/sign-in', search: params.toString() }}>
          Sign in
        </Anchor>
      </Text>
    </Page>
  );
}
