import { randomBytes } from 'node:crypto';
import { createHandoffClient, unwrap, type HandoffClient } from '../../src/client/client';

/**
 * The other side of a browser journey, over the API with the typed client: a company that
 * signs up, keys its bot and posts a shift, and the bot that escalates and talks. The console
 * under test is the agent's; these are the parties it works with.
 */
export const PASSWORD = 'correct horse battery staple';
export const uniqueEmail = (label: string) =>
  `${label}-${randomBytes(5).toString('hex')}@example.test`;

function baseUrl(): string {
  const url = process.env.CONSOLE_URL;
  if (!url) throw new Error('CONSOLE_URL is not set: run through `npm run test:browser`');
  return url;
}

export const client = (token?: string): HandoffClient =>
  createHandoffClient({ baseUrl: baseUrl(), token });

export interface Company {
  id: string;
  token: string;
  bot: HandoffClient;
  admin: HandoffClient;
}

export async function signUpCompany(name = 'Acme Support'): Promise<Company> {
  const reg = await unwrap(
    client().POST('/v1/auth/register', {
      body: {
        email: uniqueEmail('company'),
        password: PASSWORD,
        role: 'company_admin',
        companyName: name,
      },
    }),
  );
  const admin = client(reg.accessToken);
  const key = await unwrap(admin.POST('/v1/companies/me/api-keys', { body: { name: 'bot' } }));
  return { id: reg.user.companyId!, token: reg.accessToken, admin, bot: client(key.key) };
}

/** A push shift (work comes as offers) starting in `startsInSeconds`, English, refunds ≥ 2. */
export async function postPushShift(company: Company, startsInSeconds: number) {
  const start = new Date(Date.now() + startsInSeconds * 1000);
  return unwrap(
    company.admin.POST('/v1/shifts', {
      body: {
        title: 'Refunds desk',
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 2 * 3_600_000).toISOString(),
        seats: 5,
        requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
        languages: ['en'],
        ratePerTicket: { amountMinor: 250, currency: 'EUR' },
        routing: 'push',
        offerSeconds: 120,
      },
    }),
  );
}

export async function escalate(company: Company, externalId: string, subject: string) {
  return unwrap(
    company.bot.POST('/v1/escalations', {
      body: {
        externalId,
        subject,
        summary: 'Customer was charged twice for order 1042 and wants one charge refunded.',
        language: 'en',
        priority: 'high',
        requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
        transcript: [
          { role: 'customer', text: 'I was charged twice!', at: new Date().toISOString() },
          { role: 'bot', text: 'Let me get a human to help.', at: new Date().toISOString() },
        ],
        botAttempts: ['Looked up order 1042', 'Offered the refund policy'],
      },
    }),
  );
}
