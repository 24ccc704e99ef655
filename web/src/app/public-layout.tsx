import { Anchor, Box, Container, Group, Text } from '@mantine/core';
import { Suspense } from 'react';
import { Link, Outlet } from 'react-router';
import { Loading } from '../ui/loading';

/** Sign-in and sign-up: a header with the name, and the form in the main landmark. */
export function PublicLayout() {
  return (
    <>
      <Box
        component="header"
        px="md"
        py="sm"
        style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}
      >
        <Group justify="space-between">
          <Anchor component={Link} to="/" fw={700} c="dark" underline="never">
            Handoff
          </Anchor>
          <Text size="sm">Human escalation for AI customer service</Text>
        </Group>
      </Box>
      <Container size={420} py="xl" component="main">
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </Container>
    </>
  );
}
