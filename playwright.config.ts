import { defineConfig, devices } from '@playwright/test';

/**
 * Browser journeys of the console (`npm run test:browser`): Debian's Chromium (no browser
 * download here: .ci/run installs the `chromium` package when missing), against one real
 * instance that test/browser/global-setup.ts starts from the build (API with its workers, the
 * fake Stripe, a fresh database). Files end in `.browser.ts` so Jest never picks them up.
 */
export default defineConfig({
  testDir: 'test/browser',
  testMatch: '**/*.browser.ts',
  globalSetup: './test/browser/global-setup.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 150_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results/browser',
  use: {
    baseURL: process.env.CONSOLE_URL,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'laptop',
      use: { ...devices['Desktop Chrome'], channel: undefined },
      testIgnore: '**/*.phone.browser.ts',
    },
    {
      name: 'phone',
      // 375 px wide, touch: the agent's journey must work on a phone too.
      use: {
        ...devices['iPhone 13'],
        defaultBrowserType: 'chromium',
        viewport: { width: 375, height: 740 },
      },
      testMatch: '**/*.phone.browser.ts',
    },
  ],
});
