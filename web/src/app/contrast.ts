import type { CSSVariablesResolver } from '@mantine/core';

/**
 * Mantine's light-scheme text colours that fall below WCAG AA (4.5:1) for the console's small
 * text, darkened (axe-core scans the pages): dimmed and error text on white, and the text of
 * light badges and alerts on their tinted backgrounds.
 */
export const contrastResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': '#495057',
    '--mantine-color-error': '#c92a2a',
    '--mantine-color-yellow-light-color': '#7a4f00',
    '--mantine-color-orange-light-color': '#a63c06',
    '--mantine-color-green-light-color': '#1b6e2c',
    '--mantine-color-teal-light-color': '#066649',
    '--mantine-color-red-light-color': '#a61e1e',
    // The active navigation link (indigo, light) under the pointer's hover tint.
    '--mantine-color-indigo-light-color': '#2c3a8f',
  },
  dark: {},
});
