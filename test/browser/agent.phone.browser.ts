import { test } from '@playwright/test';
import { agentJourney } from './journeys';

// The same day on a phone: 375 px wide (the `phone` project of playwright.config.ts).
test('an agent works a day on a phone', async ({ page }) => {
  await agentJourney(page);
});
