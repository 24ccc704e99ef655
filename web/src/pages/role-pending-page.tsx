import { Text } from '@mantine/core';
import { useSession } from '../api/session-context';
import { Page } from '../ui/page';

const ROLE_NAMES: Record<string, string> = {
  company_admin: 'company admins',
  finance: 'finance staff',
  admin: 'platform admins',
};

/**
 * Company, finance and admin pages come later. Until then those roles land here, and never on
 * an agent page (the API would refuse its calls anyway).
 */
export function RolePendingPage() {
  const { user } = useSession();
  const role = user ? (ROLE_NAMES[user.role] ?? user.role) : 'your role';
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
