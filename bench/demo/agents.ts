/** The agents' side of the day: sign up, profile and skills, a seat, Stripe onboarding. */
import { Api, StepFailed } from './api-client';
import type { OpenShift, Onboarding, PayoutAccount, Registered, ShiftClaim } from './api-types';
import { AgentPlan, OnboardingPlan } from './cast';
import { sleep } from './narrate';
import { AgentSession, CompanySession } from './state';

export async function signUpAgent(api: Api, plan: AgentPlan, password: string) {
  const who = plan.name;
  const reg = await api.post<Registered>(`${who} signs up`, '/v1/auth/register', undefined, {
    email: plan.email,
    password,
    role: 'agent',
  });
  const token = reg.accessToken;
  await api.put(`${who} sets a profile`, '/v1/agents/me/profile', token, {
    displayName: plan.name,
    timeZone: plan.timeZone,
    languages: plan.languages,
    maxConcurrentTickets: plan.maxConcurrentTickets,
  });
  await api.put(`${who} lists skills`, '/v1/agents/me/skills', token, { skills: plan.skills });
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
  const link = await api.post<Onboarding>(
    `${who} starts Stripe onboarding`,
    '/v1/agents/me/payout-account',
    agent.token,
  );
  if (how === 'abandoned') return 'opened Stripe onboarding, did not finish';
  const page = await fetch(link.onboardingUrl, { signal: AbortSignal.timeout(15_000) });
  if (!page.ok) {
    throw new StepFailed(
      `${who} completes onboarding`,
      `GET ${link.onboardingUrl}`,
      page.status,
      await page.text(),
    );
  }
  for (let i = 0; i < 50; i++) {
    const account = await api.get<PayoutAccount>(
      `${who} checks the payout account`,
      '/v1/agents/me/payout-account',
      agent.token,
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
): Promise<ShiftClaim> {
  const who = agent.plan.name;
  const open = await api.get<{ items: OpenShift[] }>(
    `${who} browses open shifts`,
    '/v1/shifts/open?limit=50',
    agent.token,
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
    const res = await api.call<ShiftClaim | { error: { code: string } }>(
      `${who} claims a seat`,
      'POST',
      `/v1/shifts/${shift.id}/claims`,
      { token: agent.token, accept: [201, 409] },
    );
    if (res.status === 201) {
      agent.shiftId = shift.id;
      return res.data as ShiftClaim;
    }
    lastError = new StepFailed(
      `${who} claims a seat`,
      `POST /v1/shifts/${shift.id}/claims`,
      409,
      JSON.stringify(res.data),
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
  await api.post(
    `${agent.plan.name} checks in`,
    `/v1/shifts/${agent.shiftId}/check-in`,
    agent.token,
  );
}

export async function checkOut(api: Api, agent: AgentSession): Promise<void> {
  await api.post(
    `${agent.plan.name} checks out`,
    `/v1/shifts/${agent.shiftId}/check-out`,
    agent.token,
  );
}
