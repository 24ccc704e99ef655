import { createTheme, MantineProvider, Modal, Notification } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { SessionProvider } from '../api/session-context';
import { contrastResolver } from './contrast';
import { PasswordPrompt } from './password-prompt';
import { queryClient } from './query-client';

const theme = createTheme({
  primaryColor: 'indigo',
  // Filled buttons and badges use shade 8: white text on Mantine's default shade 6 is below the
  // 4.5:1 contrast axe-core asks for.
  primaryShade: 8,
  // Dialogs and notices appear without their fade and slide for anyone whose system asks for
  // less motion (WCAG 2.3.3); the browser journeys ask for it too, so that axe never reads a
  // dialog's text half faded in as low contrast.
  respectReducedMotion: true,
  components: {
    // A dialog's close button is an icon: it needs a name (axe: button-name).
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    // Notices (live events: a withdrawn ticket, being set away) are read in full: their text
    // at the body colour (Mantine's dimmed grey is below 4.5:1) and a close button with a name.
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss notice' } },
      styles: { description: { color: 'var(--mantine-color-text)' } },
    }),
  },
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
        <SessionProvider>
          {children}
          <PasswordPrompt />
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
