import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

/**
 * Debian's old headless shell (package chromium-headless-shell), which is what Playwright itself
 * runs for headless tests: the same engine without the full browser's window machinery. On two
 * cores the journeys took 345 s on it against 394 s on the full browser (`/usr/bin/chromium`,
 * still used when the shell is not installed). CHROMIUM_PATH overrides both.
 */
const HEADLESS_SHELL = '/usr/lib/chromium/chromium-headless-shell';
const CHROMIUM =
  process.env.CHROMIUM_PATH ?? (existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium');

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
  // Three on two cores: with two, a fifth of the CPU sat idle while pages waited on the API and
  // the clock (CI's step took 6.8 min); with three it is busy, and the step took 5.9 to 6.1 min.
  workers: 3,
  retries: 0,
  timeout: 150_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results/browser',
  use: {
    baseURL: process.env.CONSOLE_URL,
    launchOptions: {
      executablePath: CHROMIUM,
      // Debian's wrapper turns on GPU rasterization, which a machine without a GPU emulates in
      // software (SwiftShader); CPU rasterization is cheaper there.
      args: ['--disable-gpu'],
    },
    // A failure keeps a screenshot and its error context (the page's accessibility tree), but no
    // trace: recording one for every test, kept only on failure, cost 30 to 60 s of the step's
    // 6 min on two cores (5.3 min without). To record one:
    // `npm run test:browser -- --trace retain-on-failure`.
    trace: 'off',
    // The console then skips its transitions (see respectReducedMotion in web/src/app): a
    // dialog is read by axe at full opacity, not mid-fade (a flake of the rotate-secret check).
    reducedMotion: 'reduce',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      // First: its one long journey (about 50 s) then starts with the suite instead of being
      // the last test running while the other workers idle.
      name: 'phone',
      // 375 px wide, touch: the agent's journey must work on a phone too.
      use: {
        ...devices['iPhone 13'],
        defaultBrowserType: 'chromium',
        viewport: { width: 375, height: 740 },
      },
      testMatch: '**/*.phone.browser.ts',
    },
    {
      name: 'laptop',
      use: { ...devices['Desktop Chrome'], channel: undefined },
      testIgnore: '**/*.phone.browser.ts',
    },
  ],
});
