import { Queue, Worker } from 'bullmq';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { QUEUE_NAMES } from '../src/modules/jobs/job-registry';
import { redisOptionsFromUrl } from '../src/modules/jobs/redis-options';
import { QUEUE_DASHBOARD_COOKIE } from '../src/modules/queue-dashboard/queue-dashboard-access.service';
import { QueueDashboardSessions } from '../src/modules/queue-dashboard/queue-dashboard-sessions.service';
import {
  createApiKey,
  createStaff,
  registerAgent,
  registerCompany,
  SignedIn,
} from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { cspDirective } from './support/csp';

const SESSION = '/v1/admin/queue-dashboard/session';
const cookieOf = (token: string) => `${QUEUE_DASHBOARD_COOKIE}=${token}`;

/** The dashboard cookie's value from a Set-Cookie answer, and its attributes. */
function parseSetCookie(header: string[] | string | undefined) {
  const line = [header ?? []].flat().find((c) => c.startsWith(`${QUEUE_DASHBOARD_COOKIE}=`));
  if (!line) throw new Error(`no ${QUEUE_DASHBOARD_COOKIE} cookie in ${String(header)}`);
  const [pair, ...attrs] = line.split(';').map((s) => s.trim());
  const value = pair.slice(QUEUE_DASHBOARD_COOKIE.length + 1);
  const attributes = new Map(
    attrs.map((a) => {
      const [k, v] = a.split('=');
      return [k.toLowerCase(), v ?? true] as const;
    }),
  );
  return { value, attributes };
}

describe('queue dashboard at /admin/queues (API process, workers off)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let agent: SignedIn;
  let company: SignedIn;
  let finance: SignedIn;
  let botKey: string;

  beforeAll(async () => {
    // Loopback proxies are trusted, so X-Forwarded-Proto: https makes the request "secure".
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
    admin = await createStaff(t, 'admin');
    finance = await createStaff(t, 'finance');
    agent = await registerAgent(t);
    company = await registerCompany(t);
    botKey = await createApiKey(t, company);
  });
  afterAll(async () => {
    await t.close();
  });

  async function session(who: SignedIn = admin): Promise<string> {
    const res = await t.http.post(SESSION).set(who.auth).expect(200);
    return parseSetCookie(res.headers['set-cookie']).value;
  }

  describe('by bearer token', () => {
    it('refuses anonymous callers with 401 on the page, its assets and its API', async () => {
      for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/x']) {
        const res = await t.http.get(path);
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
          path,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
      await t.http
        .get('/admin/queues/api/queues')
        .set('Authorization', 'Bearer not-a-jwt')
        .expect(401);
    });

    it('refuses anonymous callers however the path is spelt: the router ignores case and decodes %xx', async () => {
      const spellings = [
        ['GET', '/ADMIN/QUEUES/api/queues'],
        ['GET', '/Admin/Queues'],
        ['GET', '/%61dmin/queues/api/queues'],
        ['GET', '/admin/%71ueues/api/queues?activeQueue=default&status=completed'],
        ['GET', '/admin/queues/'],
        ['GET', '/admin//queues/api/queues'],
        ['PUT', '/ADMIN/QUEUES/api/queues/default/pause'],
        ['PUT', '/Admin/Queues/api/queues/webhooks/clean/failed'],
        ['POST', '/ADMIN/QUEUES/api/queues/default/add'],
      ] as const;
      for (const [method, path] of spellings) {
        const res = await t.http[method === 'GET' ? 'get' : method === 'PUT' ? 'put' : 'post'](
          path,
        ).send(method === 'GET' ? undefined : { name: 'system.ping', data: {} });
        // Refused, or not a route at all: never the dashboard's answer.
        expect({ method, path, status: [401, 404].includes(res.status) }).toEqual({
          method,
          path,
          status: true,
        });
      }
      expect(await t.app.get(QueuesService).get('default').isPaused()).toBe(false);
    });

    it('refuses every other role with 403: agent, company admin, finance, bot key', async () => {
      for (const auth of [
        agent.auth,
        company.auth,
        finance.auth,
        { Authorization: `Bearer ${botKey}` },
      ]) {
        const res = await t.http.get('/admin/queues/api/queues').set(auth);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
    });

    it('lets an admin in, showing every queue though this process runs no workers', async () => {
      const page = await t.http.get('/admin/queues').set(admin.auth).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['x-powered-by']).toBeUndefined();
      expect(page.headers['x-request-id']).toBeDefined();
      const res = await t.http.get('/admin/queues/api/queues').set(admin.auth).expect(200);
      const names = (res.body.queues as { name: string }[]).map((q) => q.name).sort();
      expect(names).toEqual(['billing', 'default', 'payouts', 'stripe-events', 'webhooks']);
    });

    it('checks the account on each call: a demoted admin loses it at once', async () => {
      const demoted = await createStaff(t, 'admin');
      await t.http.get('/admin/queues/api/queues').set(demoted.auth).expect(200);
      await t.db.query(`UPDATE users SET role = 'finance' WHERE id = $1`, [demoted.id]);
      await t.http.get('/admin/queues/api/queues').set(demoted.auth).expect(403);
    });
  });

  describe('POST /v1/admin/queue-dashboard/session', () => {
    it('is for admins only', async () => {
      await t.http.post(SESSION).expect(401);
      for (const who of [agent, company, finance]) {
        await t.http.post(SESSION).set(who.auth).expect(403);
      }
      const bot = await t.http.post(SESSION).set('Authorization', `Bearer ${botKey}`);
      expect(bot.status).toBe(403);
    });

    it('sets a short-lived HttpOnly, SameSite=Strict cookie scoped to /admin/queues', async () => {
      const before = Date.now();
      const res = await t.http.post(SESSION).set(admin.auth).expect(200);
      expect(res.body.url).toBe('/admin/queues');
      const expiresAt = Date.parse(res.body.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 60_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
      const { value, attributes } = parseSetCookie(res.headers['set-cookie']);
      expect(value.length).toBeGreaterThan(20);
      expect(attributes.get('httponly')).toBe(true);
      expect(attributes.get('path')).toBe('/admin/queues');
      expect(attributes.get('samesite')).toBe('Strict');
      expect(attributes.get('max-age')).toBe(String(30 * 60)); // QUEUE_DASHBOARD_SESSION_MINUTES
      expect(attributes.has('secure')).toBe(false); // plain http
      // The cookie is not the access token.
      expect(value).not.toBe(admin.accessToken);
    });

    it('marks the cookie Secure when the request came over https (through a trusted proxy)', async () => {
      const res = await t.http
        .post(SESSION)
        .set(admin.auth)
        .set('X-Forwarded-Proto', 'https')
        .expect(200);
      expect(parseSetCookie(res.headers['set-cookie']).attributes.get('secure')).toBe(true);
    });

    it('marks the cookie Secure when the console is served over https (PUBLIC_URL), whatever the proxy says', async () => {
      const https = await createTestApp({ env: { PUBLIC_URL: 'https://handoff.example' } });
      try {
        const other = await createStaff(https, 'admin');
        const res = await https.http.post(SESSION).set(other.auth).expect(200);
        expect(parseSetCookie(res.headers['set-cookie']).attributes.get('secure')).toBe(true);
      } finally {
        await https.close();
      }
    });

    it('DELETE clears the cookie', async () => {
      const res = await t.http.delete(SESSION).set(admin.auth).expect(204);
      const { value, attributes } = parseSetCookie(res.headers['set-cookie']);
      expect(value).toBe('');
      expect(attributes.get('path')).toBe('/admin/queues');
      expect(Date.parse(attributes.get('expires') as string)).toBeLessThan(Date.now());
    });
  });

  describe('by session cookie', () => {
    it('opens the dashboard page and its API', async () => {
      const cookie = cookieOf(await session());
      await t.http.get('/admin/queues').set('Cookie', cookie).expect(200);
      const res = await t.http.get('/admin/queues/api/queues').set('Cookie', cookie).expect(200);
      expect(res.body.queues).toHaveLength(QUEUE_NAMES.length);
    });

    it('is not an API credential, and an access token is not a dashboard cookie', async () => {
      const token = await session();
      const asBearer = await t.http.get('/v1/me').set('Authorization', `Bearer ${token}`);
      expect(asBearer.status).toBe(401);
      await t.http
        .get('/admin/queues/api/queues')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      await t.http
        .get('/admin/queues/api/queues')
        .set('Cookie', cookieOf(admin.accessToken))
        .expect(401);
    });

    it('refuses an expired or tampered cookie', async () => {
      const sessions = t.app.get(QueueDashboardSessions);
      const expired = sessions.issue(admin.id, Date.now() - 31 * 60_000).token;
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookieOf(expired)).expect(401);
      const fresh = sessions.issue(admin.id).token;
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookieOf(fresh)).expect(200);
      const tampered = `${fresh.slice(0, -4)}AAAA`;
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookieOf(tampered)).expect(401);
    });

    it("ends with its admin's sign-out, not at its own expiry (a shared machine's next user)", async () => {
      const leaving = await createStaff(t, 'admin');
      const cookie = cookieOf(await session(leaving));
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookie).expect(200);
      await t.http.post('/v1/auth/logout').send({ refreshToken: leaving.refreshToken }).expect(204);
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookie).expect(401);
      await t.http.get('/admin/queues').set('Cookie', cookie).expect(401);
      // Its access token stays valid for the API until it expires (at most
      // JWT_ACCESS_TTL_SECONDS), but opens no dashboard session, which would outlive it.
      await t.http.get('/v1/me').set(leaving.auth).expect(200);
      const late = await t.http.post(SESSION).set(leaving.auth);
      expect(late.status).toBe(401);
      expect(late.body.error.code).toBe('UNAUTHENTICATED');
      expect(late.headers['set-cookie']).toBeUndefined();
    });

    it('stops working once its admin is no longer an admin', async () => {
      const demoted = await createStaff(t, 'admin');
      const cookie = cookieOf(await session(demoted));
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookie).expect(200);
      await t.db.query(`UPDATE users SET role = 'finance' WHERE id = $1`, [demoted.id]);
      await t.http.get('/admin/queues/api/queues').set('Cookie', cookie).expect(403);
    });
  });

  /**
   * A job run once by a throwaway worker on the app's `default` queue (this process runs none):
   * failed for good, or completed.
   */
  async function ranJob(outcome: 'failed' | 'completed'): Promise<string> {
    const queue = t.app.get(QueuesService).get('default');
    const job = await queue.add(
      'system.ping',
      { requestedAt: new Date().toISOString() },
      { attempts: 1 },
    );
    const worker = new Worker(
      'default',
      async () => {
        if (outcome === 'failed') throw new Error('boom');
        return 'ok';
      },
      { connection: redisOptionsFromUrl(t.env.REDIS_URL), prefix: t.env.QUEUE_PREFIX },
    );
    try {
      await waitFor(
        async () => (await (await queue.getJob(job.id!))?.getState()) === outcome,
        `the job to be ${outcome}`,
      );
    } finally {
      await worker.close();
    }
    return job.id!;
  }

  describe('retrying a failed job through the dashboard API', () => {
    let queue: Queue;
    beforeAll(() => {
      queue = t.app.get(QueuesService).get('default');
    });
    const failedJob = () => ranJob('failed');

    const state = async (id: string) => (await queue.getJob(id))!.getState();

    it('retries it with the cookie from the dashboard page (same origin)', async () => {
      const id = await failedJob();
      const cookie = cookieOf(await session());
      await t.http
        .put(`/admin/queues/api/queues/default/${id}/retry`)
        .set('Cookie', cookie)
        .set('Sec-Fetch-Site', 'same-origin')
        .set('Origin', 'http://127.0.0.1')
        .expect(204);
      expect(await state(id)).toBe('waiting');
    });

    it('falls back to Origin against its own scheme and host without Sec-Fetch-Site', async () => {
      const id = await failedJob();
      const retry = (headers: Record<string, string>) =>
        t.http
          .put(`/admin/queues/api/queues/default/${id}/retry`)
          .set('Host', 'ops.handoff.test')
          .set(headers);
      const cookie = cookieOf(await session());
      // Behind a TLS proxy the page's origin is https: an http Origin is another origin.
      await retry({
        Cookie: cookie,
        'X-Forwarded-Proto': 'https',
        Origin: 'http://ops.handoff.test',
      }).expect(403);
      await retry({ Cookie: cookie, Origin: 'http://ops.handoff.test.evil.example' }).expect(403);
      expect(await state(id)).toBe('failed');
      await retry({
        Cookie: cookie,
        'X-Forwarded-Proto': 'https',
        Origin: 'https://ops.handoff.test',
      }).expect(204);
      expect(await state(id)).toBe('waiting');
    });

    it('refuses a cookie-authenticated unsafe request from another origin', async () => {
      const id = await failedJob();
      const cookie = cookieOf(await session());
      for (const headers of [
        { 'Sec-Fetch-Site': 'cross-site' },
        { 'Sec-Fetch-Site': 'same-site' },
        { Origin: 'https://evil.example' },
        {}, // neither header: not a browser on our page
      ]) {
        const res = await t.http
          .put(`/admin/queues/api/queues/default/${id}/retry`)
          .set('Cookie', cookie)
          .set(headers);
        expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      }
      expect(await state(id)).toBe('failed');
    });

    it('retries it with the bearer token (scripts), no origin needed', async () => {
      const id = await failedJob();
      await t.http.put(`/admin/queues/api/queues/default/${id}/retry`).set(admin.auth).expect(204);
      expect(await state(id)).toBe('waiting');
    });

    it('never runs again a job that completed after it was seen failed', async () => {
      // The job as a check just before the retry would have seen it (failed), though it has
      // run again and completed since: the retry must go by the job's state at the retry.
      const id = await ranJob('completed');
      jest.spyOn(queue, 'getJobState').mockResolvedValue('failed');
      const res = await t.http.put(`/admin/queues/api/queues/default/${id}/retry`).set(admin.auth);
      jest.restoreAllMocks();
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 403,
        code: 'FORBIDDEN',
      });
      expect(await state(id)).toBe('completed');
      // An unknown job or queue is a 404, and so is a job removed once found.
      await t.http
        .put('/admin/queues/api/queues/default/no-such-job/retry')
        .set(admin.auth)
        .expect(404);
      await t.http.put(`/admin/queues/api/queues/nope/${id}/retry`).set(admin.auth).expect(404);
      const failed = await ranJob('failed');
      const removed = await queue.getJob(failed);
      await removed!.remove();
      jest.spyOn(queue, 'getJob').mockResolvedValueOnce(removed);
      const gone = await t.http
        .put(`/admin/queues/api/queues/default/${failed}/retry`)
        .set(admin.auth);
      jest.restoreAllMocks();
      expect({ status: gone.status, code: gone.body.error?.code }).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
    });

    it('refuses a retry to a non-admin', async () => {
      const id = await failedJob();
      await t.http
        .put(`/admin/queues/api/queues/default/${id}/retry`)
        .set(finance.auth)
        .expect(403);
      expect(await state(id)).toBe('failed');
    });
  });

  describe('what it shows and changes', () => {
    it("shows a job's data without the text customers, agents and bots wrote", async () => {
      const queue = t.app.get(QueuesService).get('default');
      const job = await queue.add(
        'ticket.message',
        {
          eventId: 'e-1',
          ticketId: 't-1',
          data: { author: 'customer', body: 'my card number is 4242 4242', number: 1 },
        },
        { delay: 3_600_000 },
      );
      try {
        const one = await t.http
          .get(`/admin/queues/api/queues/default/${job.id}`)
          .set(admin.auth)
          .expect(200);
        expect(one.body.job.data.data).toEqual({
          author: 'customer',
          body: '[not shown]',
          number: 1,
        });
        const list = await t.http
          .get('/admin/queues/api/queues?activeQueue=default&status=delayed')
          .set(admin.auth)
          .expect(200);
        expect(JSON.stringify(list.body)).toContain(String(job.id));
        for (const res of [one, list]) expect(JSON.stringify(res.body)).not.toContain('4242');
      } finally {
        await job.remove();
      }
    });

    it('retries and pauses, and refuses to add, rewrite, reschedule or drop work', async () => {
      const queue = t.app.get(QueuesService).get('default');
      const job = await queue.add(
        'system.ping',
        { requestedAt: '2030-01-01T00:00:00.000Z' },
        { delay: 3_600_000 },
      );
      const api = '/admin/queues/api/queues/default';
      try {
        for (const [method, path, body] of [
          ['post', `${api}/add`, { name: 'system.ping', data: {} }],
          ['patch', `${api}/${job.id}/update-data`, { data: { requestedAt: 'forged' } }],
          ['patch', `${api}/${job.id}/delay`, { delay: 0 }],
          ['put', `${api}/${job.id}/promote`, {}],
          ['put', `${api}/${job.id}/clean`, {}],
          ['put', `${api}/promote`, {}],
          ['put', `${api}/clean/delayed`, {}],
          ['put', `${api}/empty`, {}],
          ['put', `${api}/obliterate`, {}],
          ['put', `${api}/concurrency`, { concurrency: 1 }],
        ] as const) {
          const res = await t.http[method](path).set(admin.auth).send(body);
          expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
            path,
            status: 403,
            code: 'FORBIDDEN',
          });
        }
        const kept = await queue.getJob(job.id!);
        expect(kept?.data).toEqual({ requestedAt: '2030-01-01T00:00:00.000Z' });
        expect(await kept?.getState()).toBe('delayed');
        // A finished job is not run again: neither by itself nor with the rest of its tab.
        const done = await ranJob('completed');
        for (const path of [`${api}/${done}/retry`, `${api}/retry/completed`]) {
          const res = await t.http.put(path).set(admin.auth);
          expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
            path,
            status: 403,
            code: 'FORBIDDEN',
          });
        }
        expect(await (await queue.getJob(done))?.getState()).toBe('completed');
        await t.http.put(`${api}/retry/failed`).set(admin.auth).expect(200);
        // Pausing a queue in an incident, and resuming it.
        await t.http.put(`${api}/pause`).set(admin.auth).expect(200);
        expect(await queue.isPaused()).toBe(true);
        await t.http.put(`${api}/resume`).set(admin.auth).expect(200);
        expect(await queue.isPaused()).toBe(false);
      } finally {
        await queue.resume();
        await job.remove();
      }
    });
  });

  describe('the UI', () => {
    it('serves its HTML and every asset it names, under a CSP that allows them', async () => {
      const cookie = cookieOf(await session());
      const page = await t.http.get('/admin/queues').set('Cookie', cookie).expect(200);
      const csp = page.headers['content-security-policy'] as string;
      const directive = (name: string) => cspDirective(csp, name);
      const base = /<base href="([^"]+)"/.exec(page.text)?.[1];
      expect(base).toBe('/admin/queues/');

      // Scripts: same-origin files only; the one inline <script> is JSON data, never run.
      expect(directive('script-src')).toBe("script-src 'self'");
      const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      const files = scripts.map(([, attrs]) => /src="([^"]+)"/.exec(attrs)?.[1]).filter(Boolean);
      expect(files.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        if (/src=/.test(attrs)) expect(body.trim()).toBe('');
        else expect(attrs).toContain('type="application/json"');
      }
      for (const src of files) {
        const asset = await t.http
          .get(new URL(src!, `http://x${base}`).pathname)
          .set('Cookie', cookie);
        expect({ src, status: asset.status }).toEqual({ src, status: 200 });
        expect(asset.headers['content-type']).toMatch(/javascript/);
      }

      // Styles: a same-origin file, Google's font stylesheet (https:) and inline style
      // attributes; fonts from https:.
      const styles = [...page.text.matchAll(/<link[^>]+href="([^"]+)"[^>]*rel="stylesheet"/g)];
      expect(styles.length).toBe(2);
      for (const [, href] of styles) {
        if (href.startsWith('https://')) continue;
        const css = await t.http
          .get(new URL(href, `http://x${base}`).pathname)
          .set('Cookie', cookie);
        expect({ href, status: css.status }).toEqual({ href, status: 200 });
        expect(css.headers['content-type']).toMatch(/text\/css/);
      }
      expect(directive('style-src')).toEqual(expect.stringContaining('https:'));
      expect(directive('style-src')).toEqual(expect.stringContaining("'unsafe-inline'"));
      expect(directive('font-src')).toEqual(expect.stringContaining('https:'));
      // Its API calls go to the same origin.
      expect(directive('default-src')).toBe("default-src 'self'");
    });
  });
});
