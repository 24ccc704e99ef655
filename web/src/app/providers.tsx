import { createTheme, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { SessionProvider } from '../api/session-context';
import { contrastResolver } from './contrast';
import { queryClient } from './query-client';

const theme = createTheme({
  primaryColor: 'indigo',
  // Filled buttons and badges use shade 8: white text on Mantine's default shade 6 is below the
  // 4.5:1 contrast axe-core asks for.
  primaryShade: 8,
});

/** Mantine (theme, notices), TanStack Query, then the session, which needs the query cache. */
export function Providers({ children }: { children: ReactNode }) {
  return (
    <MantineProvider
      theme={theme}
      defaultColorScheme="light"
      cssVariablesResolver={contrastResolver}
    >
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <SessionProvider>{children}</SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
