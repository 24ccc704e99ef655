import { Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useSession } from '../api/session-context';
import { homeOf } from '../app/nav';
import { Page } from '../ui/page';

const ROLE_NAMES: Record<string, string> = {
  agent: 'an agent',
  company_admin: 'a company admin',
  finance: 'finance staff',
  admin: 'a platform admin',
};

/**
 * A page of another role (a company admin on an agent's page, say): says so, and where this
 * user's own pages are. A role with no pages at all (none today) is told so instead.
 */
export function RolePendingPage() {
  const { user } = useSession();
  const role = user ? (ROLE_NAMES[user.role] ?? user.role) : 'your role';
  const home = homeOf(user?.role);
  if (home !== '/welcome') {
    return (
      <Page title="Not your page">
        <Text>This page is not for your role.</Text>
        <Text size="sm">
          You are signed in as {user?.email} ({role}).{' '}
          <Anchor component={Link} to={home}>
            Go to your pages
          </Anchor>
        </Text>
      </Page>
    );
  }
  return (
    <Page title="Not here yet">
      <Text>This console does not have pages for your role yet.</Text>
      <Text size="sm">
        You are signed in as {user?.email} ({role}). The API and its reference at{' '}
        <a href="/docs">/docs</a> serve every role meanwhile.
      </Text>
    </Page>
  );
}
