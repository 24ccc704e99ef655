import { getMetadataStorage } from 'class-validator';
import type { Test } from 'supertest';
import type { Role } from '../src/common/auth/actor';
import { CreateEscalationDto } from '../src/modules/tickets/escalation.dto';
import {
  createApiKey,
  createStaff,
  PASSWORD,
  registerAgent,
  registerCompany,
  rowCounts,
  SignedIn,
  uniqueEmail,
} from './support/factories';
import { concretePath, listRoutes } from './support/routes';
import { postShift, shiftBody } from './support/shifts';
import { escalate, escalationBody } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';

interface BodyRoute {
  /** A body the route accepts (or at least gets past validation with). */
  valid: () => Record<string, unknown>;
  /** Fields whose absence must be refused. */
  required: string[];
  /** Required only given other fields (so not named when the body is empty). */
  conditional?: string[];
  /**
   * Text fields a blank value of is answered otherwise than by 400 on purpose: credentials and
   * tokens, which get the answer any wrong one gets (401, or a logout's 204).
   */
  blankAnswered?: string[];
  /**
   * Optional text fields whose blank value means none (stored as absent, or for a shift's title
   * cleared): a bot or a form sending "" for "nothing" is not refused.
   */
  blankIsNone?: string[];
  /** Fields for which null is a value (e.g. "back to the default"), not a wrong type. */
  nullable?: string[];
  auth?: 'company' | 'agent' | 'admin' | 'bot' | 'finance';
  /** The concrete path, for routes with parameters. */
  path?: (ctx: Ctx) => string;
  /**
   * Headers the route requires besides its body (the console's session routes; a fresh
   * Idempotency-Key where one is required).
   */
  headers?: Record<string, string> | (() => Record<string, string>);
}

const CONSOLE = { 'X-Handoff-Console': '1' };

interface Ctx {
  shiftId: string;
  /** A shift of no requirements for the agent's seat (shiftId's is cancelled by its test). */
  claimShiftId: string;
  agentId: string;
  ticketId: string;
  /** The bot's externalId of ticketId. */
  externalId: string;
  /** Pending adjustments made by another finance user, for the approve and reject routes. */
  toApprove: string;
  toReject: string;
}

/** Every route that takes a body. A new one must be added here (checked below). */
const BODY_ROUTES: Record<string, BodyRoute> = {
  'POST /v1/auth/register': {
    valid: () => ({
      email: uniqueEmail(),
      password: PASSWORD,
      role: 'company_admin',
      companyName: 'Co',
    }),
    required: ['email', 'password', 'role', 'companyName'],
    conditional: ['companyName'],
  },
  'POST /v1/auth/login': {
    valid: () => ({ email: uniqueEmail(), password: PASSWORD }),
    required: ['email', 'password'],
    blankAnswered: ['email', 'password'],
  },
  'POST /v1/auth/session/register': {
    valid: () => ({ email: uniqueEmail(), password: PASSWORD, role: 'agent' }),
    required: ['email', 'password', 'role'],
    headers: CONSOLE,
  },
  'POST /v1/auth/session/login': {
    valid: () => ({ email: uniqueEmail(), password: PASSWORD }),
    required: ['email', 'password'],
    blankAnswered: ['email', 'password'],
    headers: CONSOLE,
  },
  'POST /v1/auth/refresh': {
    valid: () => ({ refreshToken: `${crypto.randomUUID()}.${'a'.repeat(43)}` }),
    required: ['refreshToken'],
    blankAnswered: ['refreshToken'],
  },
  'POST /v1/auth/logout': {
    valid: () => ({ refreshToken: `${crypto.randomUUID()}.${'a'.repeat(43)}` }),
    required: ['refreshToken'],
    blankAnswered: ['refreshToken'],
  },
  'POST /v1/auth/password': {
    valid: () => ({ currentPassword: PASSWORD, newPassword: 'a longer horse, stapled twice' }),
    required: ['currentPassword', 'newPassword'],
    auth: 'agent',
  },
  'POST /v1/auth/reauthenticate': {
    valid: () => ({ password: PASSWORD }),
    required: ['password'],
    auth: 'agent',
  },
  'POST /v1/auth/session/reauthenticate': {
    valid: () => ({ password: PASSWORD }),
    required: ['password'],
    auth: 'agent',
    headers: CONSOLE,
  },
  'POST /v1/companies/me/api-keys': {
    valid: () => ({ name: 'bot' }),
    required: ['name'],
    auth: 'company',
  },
  'POST /v1/skills': {
    valid: () => ({ code: 'warranty_claims', name: 'Warranty claims' }),
    required: ['code', 'name'],
    auth: 'admin',
  },
  'PUT /v1/agents/me/profile': {
    valid: () => ({
      displayName: 'Sam',
      timeZone: 'Europe/Lisbon',
      languages: ['en'],
      maxConcurrentTickets: 3,
    }),
    required: ['displayName', 'timeZone', 'languages'],
    auth: 'agent',
  },
  // Partial: nothing is required, and an empty body changes nothing (200).
  'PATCH /v1/companies/me': {
    valid: () => ({ timeZone: 'Europe/Berlin', billingPeriod: 'monthly' }),
    required: [],
    auth: 'company',
  },
  'PATCH /v1/agents/me/profile': {
    valid: () => ({ displayName: 'Sam', timeZone: 'Europe/Lisbon', languages: ['en'] }),
    required: [],
    auth: 'agent',
  },
  'PUT /v1/agents/me/skills': {
    valid: () => ({ skills: [{ skill: 'billing', level: 3 }] }),
    required: ['skills'],
    auth: 'agent',
  },
  'POST /v1/agents/:id/suspend': {
    valid: () => ({ reason: 'chargeback fraud' }),
    required: ['reason'],
    auth: 'admin',
    path: (c) => `/v1/agents/${c.agentId}/suspend`,
  },
  'POST /v1/agents/:id/payout-account/allow-new-account': {
    valid: () => ({
      reason: 'Identity checked by phone',
      stripeAccountId: 'acct_1Oa2bC3dE4fG5hI6',
      stripeClosedReason: 'rejected.platform_fraud',
    }),
    required: ['reason', 'stripeAccountId', 'stripeClosedReason'],
    auth: 'admin',
    path: (c) => `/v1/agents/${c.agentId}/payout-account/allow-new-account`,
  },
  'POST /v1/shifts': {
    blankIsNone: ['title'],
    valid: () => shiftBody({ checkInGraceMinutes: 10, requiresCertification: false }),
    required: ['startsAt', 'endsAt', 'seats', 'requiredSkills', 'languages', 'ratePerTicket'],
    auth: 'company',
  },
  'PATCH /v1/shifts/:id': {
    blankIsNone: ['title'],
    valid: () => ({ title: 'Renamed', seats: 6 }),
    required: [],
    auth: 'company',
    path: (c) => `/v1/shifts/${c.shiftId}`,
  },
  'POST /v1/shifts/:id/cancel': {
    blankIsNone: ['reason'],
    valid: () => ({ reason: 'demand dropped' }),
    required: [],
    auth: 'company',
    path: (c) => `/v1/shifts/${c.shiftId}/cancel`,
  },
  'POST /v1/escalations': {
    blankIsNone: ['customerRef'],
    valid: () => escalationBody({ claimSlaSeconds: 600 }),
    required: [
      'externalId',
      'subject',
      'summary',
      'transcript',
      'requiredSkills',
      'language',
      'priority',
    ],
    auth: 'bot',
  },
  'POST /v1/tickets/:id/reopen': {
    valid: () => ({ reason: 'customer wrote back' }),
    required: ['reason'],
    auth: 'company',
    path: (c) => `/v1/tickets/${c.ticketId}/reopen`,
  },
  'POST /v1/tickets/:id/release': {
    valid: () => ({ reason: 'needs a fraud specialist' }),
    required: ['reason'],
    auth: 'agent',
    path: (c) => `/v1/tickets/${c.ticketId}/release`,
  },
  'POST /v1/tickets/:id/resolve': {
    valid: () => ({ resolutionSummary: 'Refund re-issued' }),
    required: ['resolutionSummary'],
    auth: 'agent',
    path: (c) => `/v1/tickets/${c.ticketId}/resolve`,
  },
  'POST /v1/tickets/:id/messages': {
    valid: () => ({ body: 'Your refund is on its way.', visibility: 'customer' }),
    required: ['body', 'visibility'],
    auth: 'agent',
    path: (c) => `/v1/tickets/${c.ticketId}/messages`,
  },
  'POST /v1/tickets/:id/transfer': {
    valid: () => ({
      requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
      note: 'Needs the chargebacks team',
    }),
    required: ['requiredSkills', 'note'],
    auth: 'agent',
    path: (c) => `/v1/tickets/${c.ticketId}/transfer`,
  },
  // A random offer id: validation answers before the lookup (a valid body gets 404).
  // Optional: the shift as it was shown (none takes the seat; then 409 ALREADY_CLAIMED).
  'POST /v1/shifts/:id/claims': {
    valid: () => ({
      startsAt: '2030-05-04T09:00:00+02:00',
      endsAt: '2030-05-04T13:00:00+02:00',
      ratePerTicket: { amountMinor: 250, currency: 'EUR' },
    }),
    required: [],
    auth: 'agent',
    path: (c) => `/v1/shifts/${c.claimShiftId}/claims`,
  },
  'POST /v1/offers/:id/decline': {
    valid: () => ({ reason: 'Not my area' }),
    required: ['reason'],
    auth: 'agent',
    path: () => `/v1/offers/${crypto.randomUUID()}/decline`,
  },
  // The agent is not checked in: a valid body gets 409 NOT_CHECKED_IN.
  'PUT /v1/agents/me/availability': {
    valid: () => ({ status: 'away' }),
    required: ['status'],
    auth: 'agent',
  },
  'POST /v1/escalations/:externalId/messages': {
    valid: () => ({
      messageId: `msg-${crypto.randomUUID()}`,
      body: 'Is there any news?',
      author: 'customer',
      at: '2026-11-25T10:01:00Z',
    }),
    required: ['messageId', 'body', 'author', 'at'],
    auth: 'bot',
    path: (c) => `/v1/escalations/${c.externalId}/messages`,
  },
  'POST /v1/escalations/:externalId/withdraw': {
    valid: () => ({ reason: 'The customer closed the chat' }),
    required: ['reason'],
    auth: 'bot',
    path: (c) => `/v1/escalations/${c.externalId}/withdraw`,
  },
  'POST /v1/ledger/adjustments': {
    valid: () => ({
      reference: `adj-${crypto.randomUUID()}`,
      agentId: crypto.randomUUID(),
      amountMinor: -500,
      currency: 'EUR',
      reason: 'chargeback',
    }),
    required: ['reference', 'agentId', 'amountMinor', 'currency', 'reason'],
    auth: 'finance',
  },
  'POST /v1/ledger/adjustments/:id/approve': {
    valid: () => ({ note: 'checked' }),
    required: [],
    auth: 'finance',
    path: (c) => `/v1/ledger/adjustments/${c.toApprove}/approve`,
  },
  'POST /v1/ledger/adjustments/:id/reject': {
    valid: () => ({ note: 'no evidence' }),
    required: [],
    auth: 'finance',
    path: (c) => `/v1/ledger/adjustments/${c.toReject}/reject`,
  },
  'POST /v1/payout-runs/:id/lines/:lineId/abandon': {
    valid: () => ({ reason: 'Stripe closed the account' }),
    required: ['reason'],
    auth: 'finance',
    path: () => `/v1/payout-runs/${crypto.randomUUID()}/lines/${crypto.randomUUID()}/abandon`,
  },
  'POST /v1/payout-runs': {
    valid: () => ({ currency: 'JPY', cutoff: new Date(Date.now() - 1000).toISOString() }),
    required: ['currency'],
    auth: 'finance',
  },
  'PUT /v1/companies/:companyId/credit/limit': {
    valid: () => ({ creditLimitMinor: 100_000 }),
    required: ['creditLimitMinor'],
    nullable: ['creditLimitMinor'],
    auth: 'finance',
    path: () => `/v1/companies/${crypto.randomUUID()}/credit/limit`,
  },
  'POST /v1/companies/:companyId/credit/lift': {
    valid: () => ({ reason: 'Paid by bank transfer', hours: 24 }),
    required: ['reason', 'hours'],
    auth: 'finance',
    path: () => `/v1/companies/${crypto.randomUUID()}/credit/lift`,
  },
  'POST /v1/invoices/:id/credit-notes': {
    valid: () => ({ amountMinor: 500, reason: 'Dispute lost' }),
    required: ['amountMinor', 'reason'],
    auth: 'finance',
    path: () => `/v1/invoices/${crypto.randomUUID()}/credit-notes`,
    headers: () => ({ 'Idempotency-Key': crypto.randomUUID() }),
  },
  'POST /v1/escalations/:externalId/rating': {
    blankIsNone: ['comment'],
    valid: () => ({ csat: 4, comment: 'Helpful' }),
    required: ['csat'],
    auth: 'bot',
    path: (c) => `/v1/escalations/${c.externalId}/rating`,
  },
  'POST /v1/tickets/:id/review': {
    blankIsNone: ['note'],
    valid: () => ({ score: 4, tags: ['empathy'], note: 'Kind' }),
    required: ['score', 'tags'],
    auth: 'company',
    path: (c) => `/v1/tickets/${c.ticketId}/review`,
  },
  'PUT /v1/tickets/:id/review': {
    valid: () => ({ score: 4, tags: [] }),
    required: ['score', 'tags'],
    auth: 'company',
    path: (c) => `/v1/tickets/${c.ticketId}/review`,
  },
  'POST /v1/reviews/:id/dispute': {
    valid: () => ({ reason: 'Unfair' }),
    required: ['reason'],
    auth: 'agent',
    path: () => `/v1/reviews/${crypto.randomUUID()}/dispute`,
  },
  'POST /v1/reviews/:id/decision': {
    valid: () => ({ decision: 'uphold', note: 'Fair review' }),
    required: ['decision', 'note'],
    auth: 'admin',
    path: () => `/v1/reviews/${crypto.randomUUID()}/decision`,
  },
  'POST /v1/invoices/:id/write-off': {
    valid: () => ({ reason: 'Company insolvent' }),
    required: ['reason'],
    auth: 'finance',
    path: () => `/v1/invoices/${crypto.randomUUID()}/write-off`,
  },
  'POST /v1/invoices/:id/waive-hold': {
    valid: () => ({ reason: 'Debt forgiven' }),
    required: ['reason'],
    auth: 'finance',
    path: () => `/v1/invoices/${crypto.randomUUID()}/waive-hold`,
  },
  'PUT /v1/companies/me/webhook': {
    valid: () => ({ url: 'https://hooks.example.test/handoff' }),
    required: ['url'],
    auth: 'company',
  },
};

/** Routes that take no body: whatever is sent is ignored, nothing to validate. */
const BODILESS_ROUTES = [
  // The console's session: the refresh token is the cookie.
  'POST /v1/auth/session/logout',
  'POST /v1/auth/session/refresh',
  'POST /v1/agents/me/payout-account',
  'POST /v1/payout-runs/:id/approve',
  'POST /v1/payout-runs/:id/cancel',
  'POST /v1/payout-runs/:id/execute',
  'POST /v1/payout-runs/:id/retry-failed',
  'POST /v1/ledger/adjustments/:id/cancel',
  'POST /v1/ledger/integrity/book-missing',
  'POST /v1/invoices/:id/bill-dispute-again',
  // Stripe's own JSON, verified by signature (see test/stripe.e2e-spec.ts).
  'POST /v1/stripe/connect-webhooks',
  'POST /v1/stripe/webhooks',
  'POST /v1/agents/me/tickets/claim-next',
  'POST /v1/companies/me/webhook-deliveries/:id/redeliver',
  'POST /v1/companies/me/webhook/rotate-secret',
  'POST /v1/companies/me/webhook/test',
  'POST /v1/companies/me/billing/setup',
  'POST /v1/tickets/:id/claim',
  'POST /v1/offers/:id/accept',
  'POST /v1/tickets/:id/heartbeat',
  'POST /v1/agents/:id/reinstate',
  'POST /v1/shifts/:id/check-in',
  'POST /v1/shifts/:id/check-out',
  'POST /v1/shifts/:id/waitlist',
  'POST /v1/skills/:code/reinstate',
  'PUT /v1/companies/me/certified-agents/:agentId',
  'POST /v1/admin/queue-dashboard/session',
];

/** Values of every JSON type except the valid value's own. */
function wrongValues(valid: unknown): unknown[] {
  const all: [string, unknown][] = [
    ['number', 42],
    ['string', 'text'],
    ['boolean', true],
    ['object', { nested: 'object' }],
    ['array', ['array']],
  ];
  const type = Array.isArray(valid) ? 'array' : typeof valid;
  return [...all.filter(([t]) => t !== type).map(([, v]) => v), null];
}

const names = (fields: string[], field: string) =>
  fields.some((f) => f === field || f.startsWith(`${field}.`));

describe('bad input on every route with a body', () => {
  let t: TestApp;
  const as = {} as Record<
    'company' | 'agent' | 'admin' | 'bot' | 'finance',
    Pick<SignedIn, 'auth'>
  >;
  const ctx = {} as Ctx;

  beforeAll(async () => {
    t = await createTestApp();
    as.company = await registerCompany(t);
    as.agent = await registerAgent(t);
    as.admin = await createStaff(t, 'admin');
    as.finance = await createStaff(t, 'finance');
    ctx.shiftId = (await postShift(t, as.company as SignedIn)).id;
    ctx.claimShiftId = (await postShift(t, as.company as SignedIn)).id;
    const key = await createApiKey(t, as.company as SignedIn);
    as.bot = { auth: { Authorization: `Bearer ${key}` } };
    const ticket = await escalate(t, key);
    ctx.ticketId = ticket.id;
    ctx.externalId = ticket.externalId as string;
    ctx.agentId = (as.agent as SignedIn).id;
    const maker = await createStaff(t, 'finance');
    const pending = async (reference: string) => {
      const res = await t.http.post('/v1/ledger/adjustments').set(maker.auth).send({
        reference,
        agentId: ctx.agentId,
        amountMinor: 50_000,
        currency: 'EUR',
        reason: 'large correction',
      });
      if (res.body.status !== 'pending') throw new Error(`adjustment: ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    ctx.toApprove = await pending('input-approve');
    ctx.toReject = await pending('input-reject');
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (key: string): Test => {
    const [method, pattern] = key.split(' ');
    const route = BODY_ROUTES[key];
    const path = route.path ? route.path(ctx) : pattern;
    const req = t.http[method.toLowerCase() as 'post' | 'put' | 'patch'](path);
    if (route.headers) {
      req.set(typeof route.headers === 'function' ? route.headers() : route.headers);
    }
    return route.auth ? req.set(as[route.auth].auth) : req;
  };

  function fieldsOf(res: { body: { error?: { details?: { fields?: { field: string }[] } } } }) {
    return (res.body.error?.details?.fields ?? []).map((f) => f.field);
  }

  function messagesOf(
    res: { body: { error?: { details?: { fields?: { field: string; messages: string[] }[] } } } },
    field: string,
  ) {
    return res.body.error?.details?.fields?.find((f) => f.field === field)?.messages;
  }

  it('covers every route that takes a body', () => {
    const withBody = listRoutes(t.app)
      .filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))
      .map((r) => r.key);
    expect(withBody.sort()).toEqual([...Object.keys(BODY_ROUTES), ...BODILESS_ROUTES].sort());
  });

  it('refuses a malformed id in any path with 400 naming it, the rest of the request valid', async () => {
    const who: Record<Role, keyof typeof as> = {
      company_admin: 'company',
      agent: 'agent',
      admin: 'admin',
      finance: 'finance',
      bot: 'bot',
    };
    const answers: string[] = [];
    const expected: string[] = [];
    for (const route of listRoutes(t.app).filter((r) => !r.isPublic && r.roles)) {
      const params = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
      // Not our ids: the bot's own for its escalations, and a skill's code.
      for (const param of params.filter((p) => !['externalId', 'code'].includes(p))) {
        const path = concretePath(route.path.replace(`:${param}`, 'not-a-uuid'));
        const body = BODY_ROUTES[route.key];
        const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
        const req = t.http[method](path).set(as[body?.auth ?? who[route.roles![0]]].auth);
        if (body?.headers) {
          void req.set(typeof body.headers === 'function' ? body.headers() : body.headers);
        }
        const res = await (body ? req.send(body.valid()) : req);
        answers.push(`${route.key} :${param}: ${res.status} ${fieldsOf(res)}`);
        expected.push(`${route.key} :${param}: 400 ${param}`);
      }
    }
    expect(answers.length).toBeGreaterThan(40);
    expect(answers).toEqual(expected);
  });

  it("validates with class-validator's rule lookup memoized: one answer per DTO class", () => {
    // Every refusal below goes through the memoized lookup (validation-metadata-cache.ts).
    const lookup = () =>
      getMetadataStorage().getTargetValidationMetadatas(CreateEscalationDto, '', false, false);
    expect(lookup().length).toBeGreaterThan(0);
    expect(lookup()).toBe(lookup());
  });

  describe('values PostgreSQL would refuse, which validation catches first', () => {
    let before: Record<string, number>;
    beforeAll(async () => {
      before = await rowCounts(t);
    });
    afterAll(async () => {
      expect(await rowCounts(t)).toEqual(before);
    });
    /** 400, naming the field. */
    const refused = async (req: Test, field: string) => {
      const res = await req;
      expect({ status: res.status, fields: fieldsOf(res) }).toEqual({
        status: 400,
        fields: [field],
      });
    };
    const cursorOf = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');

    it('a number with more decimals than the rule allows, written as 1e-7', async () => {
      await refused(
        t.http
          .post('/v1/shifts')
          .set(as.company.auth)
          .send(shiftBody({ minQuality: 0.0000001 })),
        'minQuality',
      );
    });

    it('a time offset past ±15:59, which Date takes and timestamptz does not', async () => {
      await refused(
        t.http.get('/v1/shifts?from=2026-01-01T00:00:00%2B16:00').set(as.company.auth),
        'from',
      );
      await refused(
        t.http
          .get(
            `/v1/invoices?cursor=${cursorOf(['2026-01-01T00:00:00+20:00', crypto.randomUUID()])}`,
          )
          .set(as.finance.auth),
        'cursor',
      );
    });

    it('an instant in the year 10000 once its offset is applied', async () => {
      // 9999 as written, and PostgreSQL stores it, but writes it back with five digits: a page
      // cursor made from such a shift was refused by the check that let the shift in.
      await refused(
        t.http
          .post('/v1/shifts')
          .set(as.company.auth)
          .send(
            shiftBody({ startsAt: '9999-12-31T20:00:00-15:00', endsAt: '9999-12-31T23:00:00Z' }),
          ),
        'startsAt',
      );
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(
            escalationBody({
              transcript: [{ role: 'customer', text: 'hi', at: '9999-12-31T23:00:00-01:00' }],
            }),
          ),
        'transcript.0.at',
      );
      await refused(
        t.http.get('/v1/shifts?from=1970-01-01T00:30:00%2B01:00').set(as.company.auth),
        'from',
      );
    });

    it("a shift list's page cursor from a shift stored in the year 10000 is taken back, only there", async () => {
      // Shifts stored before the check above held (the cursor as cursorInstant writes it).
      const late = () => cursorOf(['10000-01-01T11:00:00.000000Z', crypto.randomUUID()]);
      await t.http.get(`/v1/shifts?cursor=${late()}`).set(as.company.auth).expect(200);
      await t.http.get(`/v1/shifts/open?cursor=${late()}`).set(as.agent.auth).expect(200);
      await t.http.get(`/v1/agents/me/claims?cursor=${late()}`).set(as.agent.auth).expect(200);
      // No other list holds an instant a client chose, nor any later one a shift's could be.
      await refused(t.http.get(`/v1/invoices?cursor=${late()}`).set(as.finance.auth), 'cursor');
      for (const at of ['10000-13-45T99:99:99.000000Z', '10001-01-01T00:00:00.000000Z']) {
        await refused(
          t.http
            .get(`/v1/shifts?cursor=${cursorOf([at, crypto.randomUUID()])}`)
            .set(as.company.auth),
          'cursor',
        );
      }
    });

    it('a list inside a list where a list of objects is expected', async () => {
      const said = { role: 'customer', text: 'hi', at: '2026-11-25T10:00:00Z' };
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ transcript: [[said]] })),
        'transcript',
      );
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ transcript: [said, []] })),
        'transcript',
      );
      await refused(
        t.http
          .post('/v1/shifts')
          .set(as.company.auth)
          .send(shiftBody({ requiredSkills: [[{ skill: 'billing', minLevel: 1 }]] })),
        'requiredSkills',
      );
      await refused(
        t.http
          .put('/v1/agents/me/skills')
          .set(as.agent.auth)
          .send({ skills: [[{ skill: 'billing', level: 3 }]] }),
        'skills',
      );
      // Any other item that is not an object is refused by its index, once.
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ transcript: [said, null] })),
        'transcript.1',
      );
    });

    it('text over a limit as PostgreSQL counts it (variation selectors are characters)', async () => {
      await refused(
        t.http
          .patch('/v1/companies/me')
          .set(as.company.auth)
          .send({ name: '❤️'.repeat(101) }),
        'name',
      );
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ subject: '❤️'.repeat(151) })),
        'subject',
      );
      // Limits with a floor too (class-validator's Length counted "❤️" as one, so each took
      // twice its limit; a password taken at sign-up was then refused at every sign-in).
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ summary: '❤️'.repeat(10_001) })),
        'summary',
      );
      const said = { role: 'customer', text: '❤️'.repeat(5_001), at: '2026-11-25T10:00:00Z' };
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ transcript: [said] })),
        'transcript.0.text',
      );
      await refused(
        t.http
          .post('/v1/escalations/conv-hearts/rating')
          .set(as.bot.auth)
          .send({ csat: 5, comment: '❤️'.repeat(1_001) }),
        'comment',
      );
      await refused(
        t.http
          .post('/v1/auth/register')
          .send({ email: uniqueEmail('hearts'), password: '❤️'.repeat(65), role: 'agent' }),
        'password',
      );
    });

    it('half of a surrogate pair in a key, which jsonb refuses', async () => {
      await refused(
        t.http
          .post('/v1/escalations')
          .set(as.bot.auth)
          .send(escalationBody({ metadata: { 'k\ud800': 'v' } })),
        'metadata.k\ud800',
      );
    });

    it('a webhook URL the URL standard refuses', async () => {
      await refused(
        t.http
          .put('/v1/companies/me/webhook')
          .set(as.company.auth)
          .send({ url: 'http://\ufdd0zyx.com' }),
        'url',
      );
    });

    it('a NUL inside a page cursor', async () => {
      await refused(
        t.http
          .get(`/v1/agents?cursor=${cursorOf(['a\u0000', crypto.randomUUID()])}`)
          .set(as.admin.auth),
        'cursor',
      );
    });

    it('a list where one object is expected', async () => {
      await refused(
        t.http
          .post(`/v1/tickets/${ctx.ticketId}/resolve`)
          .set(as.agent.auth)
          .send({ resolutionSummary: 'Refunded', handoff: [] }),
        'handoff',
      );
    });
  });

  describe.each(Object.keys(BODY_ROUTES))('%s', (key) => {
    let before: Record<string, number>;
    beforeAll(async () => {
      before = await rowCounts(t);
    });
    afterAll(async () => {
      // Nothing below may write a row anywhere.
      expect(await rowCounts(t)).toEqual(before);
    });

    it('names each missing required field', async () => {
      for (const field of BODY_ROUTES[key].required) {
        const body = BODY_ROUTES[key].valid();
        delete body[field];
        const res = await post(key).send(body);
        expect({ field, status: res.status, fields: fieldsOf(res) }).toEqual({
          field,
          status: 400,
          fields: expect.arrayContaining([field]),
        });
        expect(res.body.error.code).toBe('VALIDATION_FAILED');
        // Said as missing, not by its rules for a value ("must be shorter than 500 characters").
        expect({ field, messages: messagesOf(res, field) }).toEqual({
          field,
          messages: [`${field} is required`],
        });
      }
    });

    it('names each field given a wrong type', async () => {
      for (const field of Object.keys(BODY_ROUTES[key].valid())) {
        for (const wrong of wrongValues(BODY_ROUTES[key].valid()[field])) {
          if (wrong === null && BODY_ROUTES[key].nullable?.includes(field)) continue;
          const res = await post(key).send({ ...BODY_ROUTES[key].valid(), [field]: wrong });
          if (wrong === null) {
            expect({ field, messages: messagesOf(res, field) }).toEqual({
              field,
              messages: [`${field} must not be null`],
            });
          }
          expect({
            field,
            wrong,
            status: res.status,
            named: names(fieldsOf(res), field),
          }).toEqual({
            field,
            wrong,
            status: 400,
            named: true,
          });
        }
      }
    });

    it('names each text field sent blank, as long as its valid value (no blank reason, name or note)', async () => {
      const valid = BODY_ROUTES[key].valid();
      for (const [field, value] of Object.entries(valid)) {
        const route = BODY_ROUTES[key];
        if (typeof value !== 'string') continue;
        if (route.blankAnswered?.includes(field) || route.blankIsNone?.includes(field)) continue;
        const res = await post(key).send({
          ...valid,
          [field]: ' '.repeat(Math.max(3, value.length)),
        });
        expect({ field, status: res.status, named: names(fieldsOf(res), field) }).toEqual({
          field,
          status: 400,
          named: true,
        });
      }
    });

    it('names an unknown field', async () => {
      const res = await post(key).send({ ...BODY_ROUTES[key].valid(), isAdmin: true });
      expect(res.status).toBe(400);
      expect(fieldsOf(res)).toEqual(['isAdmin']);
      expect(res.body.error.details.fields[0].messages[0]).toBe('isAdmin is not an allowed field');
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await post(key)
        .set('Content-Type', 'application/json')
        .send('{"email": "a@b.c",');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('MALFORMED_JSON');
      expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
    });

    it.each(['[]', '"a string"', 'null', '42'])(
      'refuses a non-object JSON body %s',
      async (raw) => {
        const res = await post(key).set('Content-Type', 'application/json').send(raw);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe(raw === '[]' ? 'VALIDATION_FAILED' : 'MALFORMED_JSON');
      },
    );

    it('refuses an empty body, naming the required fields (if any)', async () => {
      const res = await post(key);
      const { required, conditional = [] } = BODY_ROUTES[key];
      if (required.length === 0) {
        // A legitimate call (e.g. cancel without a reason): its writes are not "bad input" ones.
        expect(res.status).toBeLessThan(300);
        before = await rowCounts(t);
        return;
      }
      expect(res.status).toBe(400);
      expect(fieldsOf(res).sort()).toEqual(required.filter((f) => !conditional.includes(f)).sort());
    });

    it('refuses a body over the size limit with 413', async () => {
      const res = await post(key).send({
        ...BODY_ROUTES[key].valid(),
        padding: 'x'.repeat(300 * 1024),
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses a body that is not JSON with 415', async () => {
      for (const [type, body] of [
        ['text/plain', 'hello'],
        ['application/x-www-form-urlencoded', 'email=a%40b.c&password=x'],
        ['application/xml', '<a/>'],
      ]) {
        const res = await post(key).set('Content-Type', type).send(body);
        expect({ type, status: res.status, code: res.body.error?.code }).toEqual({
          type,
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
        });
      }
    });
  });
});
