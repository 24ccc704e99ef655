import {
  Anchor,
  AppShell,
  Burger,
  Button,
  em,
  getBreakpointValue,
  Group,
  NavLink,
  Text,
  useMantineTheme,
} from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { Suspense, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { useSession } from '../api/session-context';
import { Loading } from '../ui/loading';
import { LiveStatus } from './live-status';
import { NAV } from './nav';

/**
 * The signed-in shell: header (name, live status, who, sign out), the role's navigation (a
 * burger below the sm breakpoint, so the console works at 375 px) and the page in <main>.
 */
export function AppLayout() {
  const { user, signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  const [signingOut, setSigningOut] = useState(false);
  const { pathname } = useLocation();
  const navigate = useNavigate();
  // Below the navbar's breakpoint exactly as Mantine draws it: its collapse and the burger's
  // hiding both change at 768 px (collapsed up to 767.9 px), so `(max-width: 48em)` made a
  // 768 px window (a small tablet, a laptop at 200 %) show the navbar inert with no burger.
  const theme = useMantineTheme();
  const small = useMediaQuery(
    `(max-width: ${em(getBreakpointValue('sm', theme.breakpoints) - 0.1)})`,
  );
  // The role's navigation (every role has pages; one without would land on "not here yet").
  const nav = user ? NAV[user.role] : undefined;

  const leave = async () => {
    setSigningOut(true);
    try {
      await signOut();
      // Signed out on purpose: the next person here starts at their own home, not at this page.
      void navigate('/sign-in', { replace: true });
    } catch (err) {
      notifications.show({
        color: 'red',
        title: 'Not signed out',
        message: err instanceof Error ? err.message : String(err),
        closeButtonProps: { 'aria-label': 'Dismiss' },
      });
    } finally {
      setSigningOut(false);
    }
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={nav ? { width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } } : undefined}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            {nav && (
              <Burger
                opened={opened}
                onClick={toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label={opened ? 'Close navigation' : 'Open navigation'}
              />
            )}
            <Anchor component={Link} to="/" fw={700} c="dark" underline="never">
              Handoff
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {nav?.live && <LiveStatus />}
            <Text size="sm" visibleFrom="sm" truncate maw={220}>
              {user?.email}
            </Text>
            <Button variant="default" size="xs" loading={signingOut} onClick={leave}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      {nav && (
        // Off-screen on a phone until the burger opens it: inert keeps Tab out of it meanwhile.
        <AppShell.Navbar p="sm" aria-label={nav.label} inert={small && !opened}>
          {nav.pages.map((page) => {
            const active =
              pathname === page.to ||
              pathname.startsWith(`${page.to}/`) ||
              (page.also !== undefined && pathname.startsWith(page.also));
            return (
              <NavLink
                key={page.to}
                component={Link}
                to={page.to}
                label={page.label}
                active={active}
                aria-current={active ? 'page' : undefined}
                onClick={close}
              />
            );
          })}
        </AppShell.Navbar>
      )}
      <AppShell.Main>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
