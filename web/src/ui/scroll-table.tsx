import { Box } from '@mantine/core';
import type { ReactNode } from 'react';

interface Props {
  /** The region's name ("Table of payouts"): unlike its section's, so landmarks stay unique. */
  label: string;
  children: ReactNode;
}

/**
 * A wide table on a narrow screen scrolls sideways inside its own region; the region takes
 * focus so keyboard users can scroll it too (axe: scrollable-region-focusable). A table with
 * badges or buttons gets a minimum width (`<Table miw={640}>`): on a phone it then scrolls
 * instead of squeezing its badges to an ellipsis.
 */
export function ScrollTable({ label, children }: Props) {
  return (
    <Box role="region" aria-label={label} tabIndex={0} style={{ overflowX: 'auto' }}>
      {children}
    </Box>
  );
}
