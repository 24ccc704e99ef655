import { randomBytes, randomUUID } from 'node:crypto';
import { expect, type Page } from '@playwright/test';
import {
  createHandoffClient,
  unwrap,
  type HandoffClient,
  type Schemas,
} from '../../src/client/client';

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
  email: string;
  token: string;
  bot: HandoffClient;
  admin: HandoffClient;
}

export async function signUpCompany(name = 'Acme Support'): Promise<Company> {
  const email = uniqueEmail('company');
  const reg = await unwrap(
    client().POST('/v1/auth/register', {
      body: {
        email,
        password: PASSWORD,
        role: 'company_admin',
        companyName: name,
      },
    }),
  );
  const admin = client(reg.accessToken);
  const key = await unwrap(admin.POST('/v1/companies/me/api-keys', { body: { name: 'bot' } }));
  return { id: reg.user.companyId!, email, token: reg.accessToken, admin, bot: client(key.key) };
}

/** A push shift (work comes as offers) starting in `startsInSeconds`, English, refunds ≥ 2. */
export function postPushShift(company: Company, startsInSeconds: number) {
  return postShift(company, startsInSeconds, { routing: 'push', offerSeconds: 120 });
}

/** A two-hour shift starting in `startsInSeconds`: English, refunds ≥ 2, €2.50 a ticket. */
export async function postShift(
  company: Pick<Company, 'admin'>,
  startsInSeconds: number,
  overrides: Partial<Schemas['CreateShiftDto']> = {},
) {
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
        ...overrides,
      },
    }),
  );
}

/** An agent signed up over the API who can work the shifts above: English, refunds at 3. */
export async function signUpAgent(
  displayName = 'Jo Park',
): Promise<{ email: string; api: HandoffClient }> {
  const email = uniqueEmail('agent');
  const reg = await unwrap(
    client().POST('/v1/auth/register', { body: { email, password: PASSWORD, role: 'agent' } }),
  );
  const api = client(reg.accessToken);
  await unwrap(
    api.PUT('/v1/agents/me/profile', {
      body: { displayName, timeZone: 'Europe/Lisbon', languages: ['en'] },
    }),
  );
  await unwrap(
    api.PUT('/v1/agents/me/skills', { body: { skills: [{ skill: 'refunds', level: 3 }] } }),
  );
  return { email, api };
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

/**
 * What the database says of the bot's ticket and its offers, for a failure message: it tells a
 * router that made no offer apart from a console that did not show one.
 */
export async function offerState(externalId: string): Promise<string> {
  const { Client } = await import('pg');
  const db = new Client({ connectionString: process.env.CONSOLE_DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT t.status, t.created_at,
              (SELECT json_agg(json_build_object('status', o.status, 'agent', o.agent_id,
                       'created', o.created_at)) FROM offers o WHERE o.ticket_id = t.id) AS offers,
              (SELECT json_agg(json_build_object('job', x.job_name, 'runAt', x.run_at,
                       'done', x.finished_at)) FROM outbox x
                WHERE x.job_name = 'offers.route' AND x.payload->>'companyId' = t.company_id::text)
                AS routes
         FROM tickets t WHERE t.external_id = $1`,
      [externalId],
    );
    return JSON.stringify(rows);
  } finally {
    await db.end();
  }
}

/** Moves a ticket's claim deadline `secondsAgo` into the past, as if nobody took it in time. */
export async function expireSla(ticketId: string, secondsAgo: number): Promise<void> {
  const { Client } = await import('pg');
  const db = new Client({ connectionString: process.env.CONSOLE_DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      `UPDATE tickets SET sla_deadline = now() - make_interval(secs => $2) WHERE id = $1`,
      [ticketId, secondsAgo],
    );
  } finally {
    await db.end();
  }
}

/** A company admin's API client, signed in with the password the console signed up with. */
export async function signInApi(email: string): Promise<HandoffClient> {
  const tokens = await unwrap(
    client().POST('/v1/auth/login', { body: { email, password: PASSWORD } }),
  );
  return client(tokens.accessToken);
}

/**
 * A finance or admin user, stored as `npm run cli -- users:create` stores one (a users row, no
 * company, the password's argon2id hash with this instance's settings). The command itself is
 * tested in process.e2e; a CLI process per user here (it boots the whole app) was some 40 s of
 * the journeys' CPU.
 */
export async function createStaff(role: 'finance' | 'admin'): Promise<string> {
  const email = uniqueEmail(role);
  await sql(
    `INSERT INTO users (id, email, password_hash, role, company_id)
     VALUES (gen_random_uuid(), $1, $2, $3, NULL)`,
    [email, await staffPasswordHash(), role],
  );
  return email;
}

/** PASSWORD's hash, made once per worker with the instance's settings (global-setup.ts). */
let passwordHash: Promise<string> | undefined;
function staffPasswordHash(): Promise<string> {
  passwordHash ??= import('argon2').then((argon2) =>
    argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: Number(process.env.CONSOLE_ARGON2_MEMORY_KIB),
      timeCost: Number(process.env.CONSOLE_ARGON2_TIME_COST),
      parallelism: 1,
    }),
  );
  return passwordHash;
}

/**
 * An agent Stripe can pay: signed up (named `displayName`), onboarded through the fake's hosted
 * page (which completes the account and sends account.updated), payouts enabled.
 */
export interface PayableAgent {
  id: string;
  email: string;
  api: HandoffClient;
  /** Restricts (or lifts) the account's transfers at the fake Stripe, with no event sent. */
  restrictTransfers(restricted: boolean): Promise<void>;
  /**
   * Closes the account at the fake Stripe, which tells the API: its owner disconnects it
   * (`deauthorized`), or the platform rejects it for fraud.
   */
  closeAccount(how: 'deauthorize' | 'reject-fraud'): Promise<void>;
}

export async function payableAgent(displayName: string): Promise<PayableAgent> {
  const email = uniqueEmail('agent');
  const reg = await unwrap(
    client().POST('/v1/auth/register', { body: { email, password: PASSWORD, role: 'agent' } }),
  );
  const api = client(reg.accessToken);
  await unwrap(
    api.PUT('/v1/agents/me/profile', {
      body: { displayName, timeZone: 'Europe/Lisbon', languages: ['en'] },
    }),
  );
  const link = await unwrap(api.POST('/v1/agents/me/payout-account'));
  await fetch(link.onboardingUrl, { redirect: 'manual' });
  await expect
    .poll(async () => (await api.GET('/v1/agents/me/payout-account')).data?.payoutsEnabled, {
      timeout: 20_000,
    })
    .toBe(true);
  const account = await unwrap(api.GET('/v1/agents/me/payout-account'));
  // The in-process fake Stripe serves the onboarding page: its origin is the fake's.
  const stripe = new URL(link.onboardingUrl).origin;
  const restrictTransfers = async (restricted: boolean) => {
    // Restricted with no event yet (Stripe's is late: the API learns it from a refused
    // transfer); allowed again with Stripe's account.updated, which the API applies.
    const state = restricted ? 'inactive' : 'active?notify=1';
    const res = await fetch(
      `${stripe}/_fake/accounts/${account.stripeAccountId}/transfers/${state}`,
      {
        method: 'POST',
      },
    );
    expect(res.status).toBe(204);
    if (!restricted) {
      await expect
        .poll(async () => (await api.GET('/v1/agents/me/payout-account')).data?.payoutsEnabled, {
          timeout: 20_000,
        })
        .toBe(true);
    }
  };
  const closeAccount = async (how: 'deauthorize' | 'reject-fraud') => {
    // The agent's account now: a new one once the agent linked one in place of a closed one.
    const { stripeAccountId } = await unwrap(api.GET('/v1/agents/me/payout-account'));
    const res = await fetch(
      how === 'deauthorize'
        ? `${stripe}/_fake/accounts/${stripeAccountId}/deauthorize`
        : `${stripe}/v1/accounts/${stripeAccountId}/reject`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: how === 'deauthorize' ? '' : 'reason=fraud',
      },
    );
    expect(res.ok).toBe(true);
    await expect
      .poll(async () => (await api.GET('/v1/agents/me/payout-account')).data?.closedReason, {
        timeout: 20_000,
      })
      .not.toBeNull();
  };
  return { id: reg.user.id, email, api, restrictTransfers, closeAccount };
}

/** Signs in on the console's sign-in page. */
export async function signInPage(page: Page, email: string, next?: string): Promise<void> {
  await page.goto(next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * SQL on the instance's database, for what a test cannot wait for (a shift started, a booking
 * moved back). The journal is append-only (triggers): only a test moves a booking in time.
 */
export async function sql(text: string, params: unknown[]): Promise<void> {
  const { Client } = await import('pg');
  const db = new Client({ connectionString: process.env.CONSOLE_DATABASE_URL });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query('SET LOCAL session_replication_role = replica');
    await db.query(text, params);
    await db.query('COMMIT');
  } finally {
    await db.end();
  }
}

/**
 * A shift of the company (`options` as postShift's) that began five minutes ago, the agent
 * holding a seat on it, not checked in, its check-in deadline `deadline` from now (an interval).
 */
export async function seatOnStartedShift(
  company: Company,
  agent: { api: HandoffClient },
  options: Parameters<typeof postShift>[2],
  deadline = '5 minutes',
): Promise<{ id: string }> {
  const shift = await postShift(company, 3600, options);
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: shift.id }, header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  await sql(`UPDATE shifts SET starts_at = now() - interval '5 minutes' WHERE id = $1`, [shift.id]);
  // The seat's own time begins with the shift (a check-out counts only after it).
  await sql(
    `UPDATE shift_claims SET period = tstzrange(now() - interval '5 minutes', upper(period), '[)'),
            check_in_deadline = now() + $2::interval
      WHERE shift_id = $1`,
    [shift.id, deadline],
  );
  return shift;
}

/** As seatOnStartedShift, the agent checked in; its check-in deadline still ahead. */
export async function checkedInOnLiveShift(
  company: Company,
  agent: { api: HandoffClient },
  options: Parameters<typeof postShift>[2],
): Promise<{ id: string }> {
  const shift = await seatOnStartedShift(company, agent, options);
  await unwrap(agent.api.POST('/v1/shifts/{id}/check-in', { params: { path: { id: shift.id } } }));
  return shift;
}

/**
 * `count` tickets the company's bot escalates and the agent resolves on a shift of the company
 * (titled `title`) that started five minutes ago, the agent checked in on it; each resolution
 * with the agent's `handoff` flag, if given.
 */
export async function resolvedTickets(
  company: Company,
  agent: { api: HandoffClient },
  count: number,
  title: string,
  handoff?: Schemas['HandoffFlagDto'],
): Promise<{ id: string; externalId: string }[]> {
  await checkedInOnLiveShift(company, agent, { title });
  const done: { id: string; externalId: string }[] = [];
  for (let n = 1; n <= count; n++) done.push(await resolvedTicket(company, agent, n, handoff));
  return done;
}

/** One more ticket escalated, claimed and resolved by an agent already checked in. */
export async function resolvedTicket(
  company: Company,
  agent: { api: HandoffClient },
  n: number,
  handoff?: Schemas['HandoffFlagDto'],
): Promise<{ id: string; externalId: string }> {
  const externalId = `work-${n}-${randomUUID()}`;
  const ticket = await unwrap(
    company.bot.POST('/v1/escalations', {
      body: {
        externalId,
        subject: `Refund ${n}`,
        summary: 'Customer wants a refund.',
        language: 'en',
        priority: 'normal',
        requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
        transcript: [{ role: 'customer', text: 'Refund?', at: new Date().toISOString() }],
      },
    }),
  );
  await unwrap(agent.api.POST('/v1/tickets/{id}/claim', { params: { path: { id: ticket.id } } }));
  await unwrap(
    agent.api.POST('/v1/tickets/{id}/resolve', {
      params: { path: { id: ticket.id } },
      body: { resolutionSummary: 'Refunded.', ...(handoff && { handoff }) },
    }),
  );
  return { id: ticket.id, externalId };
}

/**
 * A pending offer as GET /v1/agents/me/offers answers it, made `ageSeconds` ago and running
 * `lifetimeSeconds` in all, for a page whose offers list is stubbed (stubOffers).
 */
export function stubOffer(subject: string, ageSeconds: number, lifetimeSeconds = 120) {
  const at = Date.now() - ageSeconds * 1000;
  return {
    id: randomUUID(),
    ticketId: randomUUID(),
    shiftId: randomUUID(),
    status: 'pending',
    createdAt: new Date(at).toISOString(),
    expiresAt: new Date(at + lifetimeSeconds * 1000).toISOString(),
    decidedAt: null,
    declineReason: null,
    ticket: {
      id: randomUUID(),
      companyId: randomUUID(),
      companyName: 'Acme Support',
      subject,
      summary: 'The customer needs a human.',
      effectivePriority: 'normal',
      language: 'en',
      requiredSkills: [],
      slaDeadline: new Date(at + 600_000).toISOString(),
      createdAt: new Date(at).toISOString(),
      pay: { amountMinor: 250, currency: 'EUR' },
      surge: null,
    },
  };
}

/** The page's offers list answers `listed()` at each read. */
export async function stubOffers(
  page: Page,
  listed: () => ReturnType<typeof stubOffer>[],
): Promise<void> {
  await page.route('**/v1/agents/me/offers', (route) =>
    route.fulfill({ json: { items: listed() } }),
  );
}
