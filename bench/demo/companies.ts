/** The companies' side of the morning: sign up, a key for the bot, a webhook, shifts. */
import { Api } from './api-client';
import type { ApiKeyCreated, Registered, Shift } from './api-types';
import { CompanyPlan, TeamKey } from './cast';
import { detail, money, possessive, say } from './narrate';
import { CompanySession } from './state';

export async function signUpCompany(
  api: Api,
  plan: CompanyPlan,
  password: string,
): Promise<CompanySession> {
  const step = `${plan.name} signs up`;
  const reg = await api.post<Registered>(step, '/v1/auth/register', undefined, {
    email: plan.admin.email,
    password,
    role: 'company_admin',
    companyName: plan.name,
  });
  const key = await api.post<ApiKeyCreated>(
    `${plan.name} creates a bot key`,
    '/v1/companies/me/api-keys',
    reg.accessToken,
    { name: plan.botName },
  );
  // The bot checks its key before it goes live, as an integration would.
  await api.get(`${possessive(plan.name)} bot checks its key`, '/v1/bot/me', key.key);
  say(`${plan.name} signed up (admin ${plan.admin.email}); bot key ${key.prefix}… created`);
  return {
    plan,
    id: reg.user.companyId!,
    adminToken: reg.accessToken,
    botKey: key.key,
    shifts: new Map(),
    webhookSecret: null,
  };
}

export async function registerWebhook(
  api: Api,
  company: CompanySession,
  url: string,
): Promise<void> {
  const hook = await api.put<{ secret: string }>(
    `${company.plan.name} registers its webhook`,
    '/v1/companies/me/webhook',
    company.adminToken,
    { url },
  );
  company.webhookSecret = hook.secret;
}

export async function postShifts(
  api: Api,
  company: CompanySession,
  startsAt: Date,
  endsAt: Date,
): Promise<void> {
  for (const plan of company.plan.shifts) {
    const shift = await api.post<Shift>(
      `${company.plan.name} posts "${plan.title}"`,
      '/v1/shifts',
      company.adminToken,
      {
        title: plan.title,
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
        seats: plan.seats,
        requiredSkills: plan.requiredSkills,
        languages: plan.languages,
        ratePerTicket: { amountMinor: plan.rateMinor, currency: 'EUR' },
        requiresCertification: plan.requiresCertification,
        checkInGraceMinutes: 10,
      },
    );
    company.shifts.set(plan.team as TeamKey, shift);
    const skills = plan.requiredSkills.map((r) => `${r.skill}≥${r.minLevel}`).join(', ');
    detail(
      `${company.plan.name}: "${plan.title}" ${plan.seats} seats, ${plan.languages.join('/')}, ` +
        `${skills}, ${money(plan.rateMinor)}/ticket${plan.requiresCertification ? ', certified only' : ''}`,
    );
  }
}

/** The company vouches for agents it trained: only they may take its certified shift. */
export async function certify(api: Api, company: CompanySession, agentIds: string[]) {
  for (const id of agentIds) {
    await api.call(
      `${company.plan.name} certifies an agent`,
      'PUT',
      `/v1/companies/me/certified-agents/${id}`,
      { token: company.adminToken },
    );
  }
}
