/** The companies' side of the morning: sign up, a key for the bot, a webhook, shifts. */
import { Api } from './api-client';
import { CompanyPlan, TeamKey } from './cast';
import { detail, money, possessive, say } from './narrate';
import { CompanySession } from './state';

export async function signUpCompany(
  api: Api,
  plan: CompanyPlan,
  password: string,
): Promise<CompanySession> {
  const step = `${plan.name} signs up`;
  const reg = await api.step(
    step,
    api.as().POST('/v1/auth/register', {
      body: { email: plan.admin.email, password, role: 'company_admin', companyName: plan.name },
    }),
  );
  const key = await api.step(
    `${plan.name} creates a bot key`,
    api.as(reg.accessToken).POST('/v1/companies/me/api-keys', { body: { name: plan.botName } }),
  );
  // The bot checks its key before it goes live, as an integration would.
  await api.step(`${possessive(plan.name)} bot checks its key`, api.as(key.key).GET('/v1/bot/me'));
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
  const hook = await api.step(
    `${company.plan.name} registers its webhook`,
    api.as(company.adminToken).PUT('/v1/companies/me/webhook', { body: { url } }),
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
    const shift = await api.step(
      `${company.plan.name} posts "${plan.title}"`,
      api.as(company.adminToken).POST('/v1/shifts', {
        body: {
          title: plan.title,
          startsAt: startsAt.toISOString(),
          endsAt: endsAt.toISOString(),
          seats: plan.seats,
          requiredSkills: plan.requiredSkills,
          languages: plan.languages,
          ratePerTicket: { amountMinor: plan.rateMinor, currency: 'EUR' },
          requiresCertification: plan.requiresCertification,
          checkInGraceMinutes: 10,
          routing: plan.routing,
          ...(plan.routing === 'push' && { offerSeconds: 30 }),
        },
      }),
    );
    company.shifts.set(plan.team as TeamKey, shift);
    const skills = plan.requiredSkills.map((r) => `${r.skill}≥${r.minLevel}`).join(', ');
    detail(
      `${company.plan.name}: "${plan.title}" ${plan.seats} seats, ${plan.languages.join('/')}, ` +
        `${skills}, ${money(plan.rateMinor)}/ticket${plan.requiresCertification ? ', certified only' : ''}` +
        (plan.routing === 'push' ? ', work comes as offers' : ''),
    );
  }
}

/** The company vouches for agents it trained: only they may take its certified shift. */
export async function certify(api: Api, company: CompanySession, agentIds: string[]) {
  for (const id of agentIds) {
    await api.step(
      `${company.plan.name} certifies an agent`,
      api.as(company.adminToken).PUT('/v1/companies/me/certified-agents/{agentId}', {
        params: { path: { agentId: id } },
      }),
    );
  }
}
