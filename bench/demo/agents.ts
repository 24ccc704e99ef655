/** The agents' side of the day: sign up, profile and skills, a seat, Stripe onboarding. */
import type { Schemas } from '../../src/client/client';
import { Api, StepFailed } from './api-client';
import { AgentPlan, OnboardingPlan } from './cast';
import { sleep } from './narrate';
import { AgentSession, CompanySession } from './state';

export async function signUpAgent(api: Api, plan: AgentPlan, password: string) {
  const who = plan.name;
  const reg = await api.step(
    `${who} signs up`,
    api.as().POST('/v1/auth/register', { body: { email: plan.email, password, role: 'agent' } }),
  );
  const token = reg.accessToken;
  const me = api.as(token);
  await api.step(
    `${who} sets a profile`,
    me.PUT('/v1/agents/me/profile', {
      body: {
        displayName: plan.name,
        timeZone: plan.timeZone,
        languages: plan.languages,
        maxConcurrentTickets: plan.maxConcurrentTickets,
      },
    }),
  );
  await api.step(
    `${who} lists skills`,
    me.PUT('/v1/agents/me/skills', { body: { skills: plan.skills } }),
  );
  const session: AgentSession = {
    plan,
    id: reg.user.id,
    token,
    shiftId: null,
    payoutsEnabled: false,
    resolved: 0,
    released: 0,
  };
  return session;
}

/**
 * Stripe Express onboarding as an agent does it: ask for a link, open it (the fake Stripe's
 * hosted page completes the forms and tells our webhook), then wait until payouts are enabled.
 */
export async function onboardStripe(
  api: Api,
  agent: AgentSession,
  how: OnboardingPlan,
): Promise<string> {
  const who = agent.plan.name;
  if (how === 'never') return 'never started Stripe onboarding';
  const link = await api.step(
    `${who} starts Stripe onboarding`,
    api.as(agent.token).POST('/v1/agents/me/payout-account'),
  );
  if (how === 'abandoned') return 'opened Stripe onboarding, did not finish';
  // The fake's page completes onboarding and sends the browser back to the console (302).
  const page = await fetch(link.onboardingUrl, {
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  });
  if (page.status !== 302) {
    throw new StepFailed(
      `${who} completes onboarding`,
      `GET ${link.onboardingUrl}`,
      page.status,
      await page.text(),
    );
  }
  for (let i = 0; i < 50; i++) {
    const account = await api.step(
      `${who} checks the payout account`,
      api.as(agent.token).GET('/v1/agents/me/payout-account'),
    );
    if (account.payoutsEnabled) {
      agent.payoutsEnabled = true;
      return 'payouts enabled';
    }
    await sleep(200);
  }
  // A real Stripe needs a human on that page: say so rather than fail the day.
  return 'onboarding link opened, payouts not enabled yet';
}

/** Browses the open shifts it is eligible for and takes a seat on its team's shift (or, if that
 * one filled up, the best-paid other one). */
export async function takeSeat(
  api: Api,
  agent: AgentSession,
  company: CompanySession,
): Promise<Schemas['ShiftClaimDto']> {
  const who = agent.plan.name;
  const open = await api.step(
    `${who} browses open shifts`,
    api.as(agent.token).GET('/v1/shifts/open', { params: { query: { limit: 50 } } }),
  );
  const wanted = company.shifts.get(agent.plan.team)!.id;
  const choices = [
    ...open.items.filter((s) => s.id === wanted),
    ...open.items
      .filter((s) => s.id !== wanted)
      .sort((a, b) => b.ratePerTicket.amountMinor - a.ratePerTicket.amountMinor),
  ];
  let lastError: StepFailed | null = null;
  for (const shift of choices) {
    const res = await api.answer(
      `${who} claims a seat`,
      api.as(agent.token).POST('/v1/shifts/{id}/claims', { params: { path: { id: shift.id } } }),
      [201, 409],
    );
    if (res.data) {
      agent.shiftId = shift.id;
      return res.data;
    }
    lastError = new StepFailed(
      `${who} claims a seat`,
      `POST /v1/shifts/${shift.id}/claims`,
      409,
      JSON.stringify(res.error),
    );
  }
  throw (
    lastError ??
    new StepFailed(
      `${who} finds a shift`,
      'GET /v1/shifts/open',
      200,
      `no eligible shift among ${JSON.stringify(open.items.map((s) => s.title))}`,
    )
  );
}

export async function checkIn(api: Api, agent: AgentSession): Promise<void> {
  await api.step(
    `${agent.plan.name} checks in`,
    api.as(agent.token).POST('/v1/shifts/{id}/check-in', {
      params: { path: { id: agent.shiftId! } },
    }),
  );
}

export async function checkOut(api: Api, agent: AgentSession): Promise<void> {
  await api.step(
    `${agent.plan.name} checks out`,
    api.as(agent.token).POST('/v1/shifts/{id}/check-out', {
      params: { path: { id: agent.shiftId! } },
    }),
  );
}
