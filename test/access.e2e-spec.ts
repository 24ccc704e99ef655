import type { Response } from 'supertest';
import { Role } from '../src/common/auth/actor';
import { createApiKey, createStaff, registerAgent, registerCompany } from './support/factories';
import { concretePath, listRoutes, RouteInfo } from './support/routes';
import { createTestApp, TestApp } from './support/test-app';

/** The only routes an anonymous caller may reach. Adding one here is a security decision. */
const PUBLIC_ROUTES = [
  'GET /health',
  'GET /health/ready',
  'POST /v1/auth/login',
  'POST /v1/auth/logout',
  'POST /v1/auth/refresh',
  'POST /v1/auth/register',
  // The console's sessions: the same, with the refresh token in an httpOnly cookie.
  'POST /v1/auth/session/login',
  'POST /v1/auth/session/logout',
  'POST /v1/auth/session/refresh',
  'POST /v1/auth/session/register',
  // Stripe authenticates these with a signature over the raw body.
  'POST /v1/stripe/connect-webhooks',
  'POST /v1/stripe/webhooks',
  // Prometheus: its own bearer token (METRICS_TOKEN), checked by the controller; 404 without one
  // configured, 401 with a wrong one (test/metrics.e2e-spec.ts).
  'GET /metrics',
];

const USERS: Role[] = ['agent', 'company_admin', 'finance', 'admin'];

/** Who may call each protected route. Every protected route must appear here. */
const ACCESS: Record<string, Role[]> = {
  'GET /v1/me': USERS,
  'POST /v1/auth/password': USERS,
  'POST /v1/auth/reauthenticate': USERS,
  'POST /v1/auth/session/reauthenticate': USERS,
  'GET /v1/companies/me': ['company_admin'],
  'PATCH /v1/companies/me': ['company_admin'],
  'GET /v1/companies/me/billing': ['company_admin'],
  'POST /v1/companies/me/billing/setup': ['company_admin'],
  'GET /v1/companies/me/invoices': ['company_admin'],
  'GET /v1/companies/:companyId/credit': ['finance'],
  'PUT /v1/companies/:companyId/credit/limit': ['finance'],
  'POST /v1/companies/:companyId/credit/lift': ['finance'],
  'GET /v1/invoices': ['finance'],
  'GET /v1/receivables/ageing': ['finance'],
  'POST /v1/invoices/:id/credit-notes': ['finance'],
  'POST /v1/invoices/:id/write-off': ['finance'],
  'POST /v1/invoices/:id/waive-hold': ['finance'],
  'POST /v1/invoices/:id/bill-dispute-again': ['finance'],
  'GET /v1/companies/me/api-keys': ['company_admin'],
  'POST /v1/companies/me/api-keys': ['company_admin'],
  'DELETE /v1/companies/me/api-keys/:id': ['company_admin'],
  'GET /v1/bot/me': ['bot'],
  'GET /v1/skills': [...USERS, 'bot'],
  'POST /v1/skills': ['admin'],
  'DELETE /v1/skills/:code': ['admin'],
  'POST /v1/skills/:code/reinstate': ['admin'],
  'GET /v1/agents/me/profile': ['agent'],
  'PUT /v1/agents/me/profile': ['agent'],
  'PATCH /v1/agents/me/profile': ['agent'],
  'GET /v1/agents/me/skills': ['agent'],
  'PUT /v1/agents/me/skills': ['agent'],
  'GET /v1/agents/me/certifications': ['agent'],
  'GET /v1/agents/me/claims': ['agent'],
  'GET /v1/agents/me/reliability': ['agent'],
  'GET /v1/agents': ['admin', 'finance'],
  'GET /v1/staff': ['admin'],
  'GET /v1/companies/me/agents': ['company_admin'],
  'POST /v1/agents/:id/suspend': ['admin'],
  'POST /v1/agents/:id/reinstate': ['admin'],
  'GET /v1/agents/:id/payout-account': ['admin', 'finance'],
  'POST /v1/agents/:id/payout-account/allow-new-account': ['admin'],
  'GET /v1/companies/me/certified-agents': ['company_admin'],
  'PUT /v1/companies/me/certified-agents/:agentId': ['company_admin'],
  'DELETE /v1/companies/me/certified-agents/:agentId': ['company_admin'],
  'POST /v1/shifts': ['company_admin'],
  'GET /v1/shifts': ['company_admin'],
  'GET /v1/shifts/:id': ['company_admin'],
  'PATCH /v1/shifts/:id': ['company_admin'],
  'POST /v1/shifts/:id/cancel': ['company_admin'],
  'GET /v1/shifts/open': ['agent'],
  'POST /v1/shifts/:id/claims': ['agent'],
  'DELETE /v1/shifts/:id/claims/me': ['agent'],
  'POST /v1/shifts/:id/check-in': ['agent'],
  'POST /v1/shifts/:id/check-out': ['agent'],
  'POST /v1/shifts/:id/waitlist': ['agent'],
  'DELETE /v1/shifts/:id/waitlist': ['agent'],
  'POST /v1/escalations': ['bot'],
  'GET /v1/tickets': ['company_admin', 'bot'],
  'GET /v1/tickets/:id': ['company_admin', 'bot'],
  'POST /v1/tickets/:id/reopen': ['company_admin', 'bot'],
  'GET /v1/agents/me/queue': ['agent'],
  'POST /v1/agents/me/tickets/claim-next': ['agent'],
  'GET /v1/agents/me/tickets': ['agent'],
  'GET /v1/agents/me/tickets/:id': ['agent'],
  'POST /v1/tickets/:id/claim': ['agent'],
  'POST /v1/tickets/:id/heartbeat': ['agent'],
  'POST /v1/tickets/:id/release': ['agent'],
  'POST /v1/tickets/:id/resolve': ['agent'],
  'GET /v1/escalations/:externalId': ['bot'],
  'POST /v1/escalations/:externalId/messages': ['bot'],
  'POST /v1/escalations/:externalId/withdraw': ['bot'],
  'POST /v1/escalations/:externalId/rating': ['bot'],
  'POST /v1/tickets/:id/review': ['company_admin'],
  'PUT /v1/tickets/:id/review': ['company_admin'],
  'GET /v1/tickets/:id/feedback': ['company_admin'],
  'POST /v1/reviews/:id/dispute': ['agent'],
  'POST /v1/reviews/:id/decision': ['admin'],
  'GET /v1/reviews/disputed': ['admin'],
  'GET /v1/agents/me/quality': ['agent'],
  'GET /v1/agents/me/feedback': ['agent'],
  'GET /v1/companies/me/agents/:agentId/quality': ['company_admin'],
  'GET /v1/companies/me/handoff-quality': ['company_admin'],
  'GET /v1/tickets/:id/messages': ['agent', 'company_admin', 'bot'],
  'POST /v1/tickets/:id/messages': ['agent'],
  'POST /v1/tickets/:id/transfer': ['agent'],
  'GET /v1/agents/me/offers': ['agent'],
  'POST /v1/offers/:id/accept': ['agent'],
  'POST /v1/offers/:id/decline': ['agent'],
  'PUT /v1/agents/me/availability': ['agent'],
  'GET /v1/agents/me/availability': ['agent'],
  'GET /v1/events': ['agent', 'company_admin', 'finance', 'bot'],
  'GET /v1/events/stream': ['agent', 'company_admin', 'finance', 'bot'],
  'PUT /v1/companies/me/webhook': ['company_admin'],
  'GET /v1/companies/me/webhook': ['company_admin'],
  'DELETE /v1/companies/me/webhook': ['company_admin'],
  'POST /v1/companies/me/webhook/rotate-secret': ['company_admin'],
  'POST /v1/companies/me/webhook/test': ['company_admin'],
  'GET /v1/companies/me/webhook-deliveries': ['company_admin'],
  'POST /v1/companies/me/webhook-deliveries/:id/redeliver': ['company_admin'],
  'GET /v1/agents/me/earnings': ['agent'],
  'GET /v1/companies/me/statement': ['company_admin'],
  'GET /v1/companies/me/pricing': ['company_admin'],
  'POST /v1/ledger/adjustments': ['finance'],
  'GET /v1/ledger/adjustments': ['finance'],
  'GET /v1/ledger/adjustments/:id': ['finance'],
  'POST /v1/ledger/adjustments/:id/approve': ['finance'],
  'POST /v1/ledger/adjustments/:id/reject': ['finance'],
  'POST /v1/ledger/adjustments/:id/cancel': ['finance'],
  'GET /v1/ledger/trial-balance': ['finance'],
  'GET /v1/ledger/agents-owing': ['finance'],
  'GET /v1/ledger/integrity': ['finance'],
  'POST /v1/ledger/integrity/book-missing': ['finance'],
  'POST /v1/agents/me/payout-account': ['agent'],
  'GET /v1/agents/me/payout-account': ['agent'],
  'GET /v1/agents/me/payouts': ['agent'],
  'POST /v1/payout-runs': ['finance'],
  'GET /v1/payout-runs': ['finance'],
  'GET /v1/payout-runs/:id': ['finance'],
  'GET /v1/payout-runs/:id/lines.csv': ['finance'],
  'GET /v1/payout-runs/:id/lines': ['finance'],
  'POST /v1/payout-runs/:id/approve': ['finance'],
  'POST /v1/payout-runs/:id/cancel': ['finance'],
  'POST /v1/payout-runs/:id/execute': ['finance'],
  'POST /v1/payout-runs/:id/retry-failed': ['finance'],
  'POST /v1/payout-runs/:id/lines/:lineId/abandon': ['finance'],
  'GET /v1/payout-runs/:id/reconciliation': ['finance'],
  // The queue dashboard's cookie (the dashboard itself, /admin/queues, is not a Nest route:
  // test/queue-dashboard.e2e-spec.ts covers its access).
  'POST /v1/admin/queue-dashboard/session': ['admin'],
  'DELETE /v1/admin/queue-dashboard/session': ['admin'],
};

function call(
  t: TestApp,
  route: RouteInfo,
  headers: Record<string, string> = {},
): Promise<Response> {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  const req = t.http[method](concretePath(route.path)).set(headers);
  // A caller let through would get an endless stream: a bad Last-Event-ID makes it a 400.
  if (route.key === 'GET /v1/events/stream') void req.set('Last-Event-ID', 'not-an-id');
  return ['post', 'put', 'patch'].includes(method) ? req.send({}) : req;
}

describe('access control', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  const credentials = {} as Record<Role, Record<string, string>>;

  beforeAll(async () => {
    t = await createTestApp();
    routes = listRoutes(t.app);
    const company = await registerCompany(t);
    credentials.agent = (await registerAgent(t)).auth;
    credentials.company_admin = company.auth;
    credentials.finance = (await createStaff(t, 'finance')).auth;
    credentials.admin = (await createStaff(t, 'admin')).auth;
    credentials.bot = { Authorization: `Bearer ${await createApiKey(t, company)}` };
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds the routes (sanity check of the walker)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(PUBLIC_ROUTES.length + Object.keys(ACCESS).length);
  });

  it('marks public exactly the routes listed as public', () => {
    expect(routes.filter((r) => r.isPublic).map((r) => r.key)).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('rejects an anonymous caller on every other route with 401', async () => {
    for (const route of routes.filter((r) => !r.isPublic)) {
      const res = await call(t, route);
      expect({ route: route.key, status: res.status, code: res.body.error?.code }).toEqual({
        route: route.key,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  it('rejects a malformed Authorization header the same way', async () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'token']) {
      await t.http.get('/v1/me').set('Authorization', header).expect(401);
    }
  });

  it('lists every protected route in the access table', () => {
    const protectedRoutes = routes.filter((r) => !r.isPublic).map((r) => r.key);
    expect(protectedRoutes.sort()).toEqual(Object.keys(ACCESS).sort());
  });

  it('lets each role call exactly the routes the table grants it', async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    // Let through with ids of nothing and an empty body, a route answers 4xx, never 5xx.
    const serverErrors: string[] = [];
    for (const route of routes.filter((r) => !r.isPublic)) {
      for (const role of [...USERS, 'bot'] as Role[]) {
        const res = await call(t, route, credentials[role]);
        if (res.status >= 500) serverErrors.push(`${route.key} as ${role}: ${res.status}`);
        // A 403 for a business reason (NOT_ELIGIBLE) means the role got through.
        const allowed =
          res.status !== 401 && !(res.status === 403 && res.body.error.code === 'FORBIDDEN');
        outcomes.push(`${route.key} as ${role}: ${allowed ? 'allowed' : `refused ${res.status}`}`);
        expected.push(
          `${route.key} as ${role}: ${ACCESS[route.key].includes(role) ? 'allowed' : 'refused 403'}`,
        );
      }
    }
    expect(outcomes).toEqual(expected);
    expect(serverErrors).toEqual([]);
  });
});
