/**
 * The page Stripe sends an agent back to after Connect onboarding (PUBLIC_URL/agent/payouts),
 * until the console serves the real one. It is public and the same for everyone: a browser
 * arriving from Stripe carries no credentials (and none may travel in the URL), so it says what
 * happened and where the agent's own status shows, nothing about any account.
 */
export type OnboardingReturn = 'return' | 'refresh' | undefined;

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** An API address shown as code, with the full URL (the agent signs in to call it). */
const route = (method: string, path: string, base: string) =>
  `<code>${method} ${escape(`${base}${path}`)}</code>`;

function statusSection(base: string): string {
  return `
    <h2>Where your payout status shows</h2>
    <p>Signed in with your Handoff agent account, your payout status is at
      ${route('GET', '/v1/agents/me/payout-account', base)}:</p>
    <ul>
      <li><code>payoutsEnabled: true</code>: Stripe has accepted your details, and the next
        payout run pays what you have available.</li>
      <li><code>requirements</code>: what Stripe still needs from you. If it lists anything, start
        onboarding again (below) and finish those steps.</li>
    </ul>
    <p>Stripe may take a few minutes to check your details, so the status can lag behind.</p>
    <h2>Your earnings and payouts</h2>
    <ul>
      <li>Earnings, and when each becomes available: ${route('GET', '/v1/agents/me/earnings', base)}</li>
      <li>Payouts made to you: ${route('GET', '/v1/agents/me/payouts', base)}</li>
    </ul>`;
}

function restartSection(base: string, heading = 'Start onboarding again'): string {
  return `
    <h2>${heading}</h2>
    <p>Go back to where you started onboarding. Through the API, signed in as you, that is
      ${route('POST', '/v1/agents/me/payout-account', base)}: its answer holds a fresh
      <code>onboardingUrl</code>. Open it within a few minutes; Stripe keeps what you already
      entered.</p>`;
}

function content(kind: OnboardingReturn, base: string): { title: string; body: string } {
  if (kind === 'refresh') {
    return {
      title: 'Your Stripe onboarding link has expired',
      body: `
    <p>Stripe onboarding links work once and only for a few minutes, so Stripe sent you here
      instead of to its forms. A fresh link takes you back to them.</p>
    ${restartSection(base)}`,
    };
  }
  if (kind === 'return') {
    return {
      title: 'Stripe onboarding is done',
      body: `
    <p>You are back from Stripe. You can close this page.</p>
    ${statusSection(base)}
    ${restartSection(base, 'If Stripe still needs something')}`,
    };
  }
  return {
    title: 'Handoff payouts',
    body: `
    <p>Handoff pays agents through Stripe. This page is where Stripe sends you back after
      onboarding.</p>
    ${statusSection(base)}
    ${restartSection(base, 'Starting or finishing onboarding')}`,
  };
}

/** The whole page: English, titled, one h1, sections under h2, no script, inline style only. */
export function onboardingPage(kind: OnboardingReturn, publicUrl: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  const { title, body } = content(kind, base);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>${escape(title)} · Handoff</title>
  <style>
    body { font: 1rem/1.5 system-ui, sans-serif; color: #1a1a1a; background: #fff;
           max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
    code { font-size: 0.95em; background: #f0f0f0; padding: 0 0.2em; overflow-wrap: anywhere; }
    h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
  </style>
</head>
<body>
  <main>
    <h1>${escape(title)}</h1>
    ${body}
  </main>
</body>
</html>
`;
}
