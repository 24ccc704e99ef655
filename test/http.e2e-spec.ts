import { createRootLogger } from '../src/common/logging/root-logger';
import { Writable } from 'node:stream';
import { registerAgent } from './support/factories';
import { listRoutes } from './support/routes';
import { startTcpProxy } from './support/tcp-proxy';
import { createTestApp, TestApp } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('HTTP conventions: request ids, error shape, health, OpenAPI', () => {
  let t: TestApp;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    t = await createTestApp({ logger: createRootLogger('info', 'api', sink) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives every response a request id, reusing a sane incoming one', async () => {
    const fresh = await t.http.get('/health').expect(200);
    expect(fresh.headers['x-request-id']).toMatch(UUID);
    const echoed = await t.http.get('/health').set('X-Request-Id', 'bot-req-12345').expect(200);
    expect(echoed.headers['x-request-id']).toBe('bot-req-12345');
    const replaced = await t.http
      .get('/health')
      .set('X-Request-Id', 'bad id with spaces!')
      .expect(200);
    expect(replaced.headers['x-request-id']).toMatch(UUID);
  });

  it('puts the request id in error bodies and in the JSON request log', async () => {
    const res = await t.http.get('/v1/me').expect(401);
    expect(res.body).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        message: expect.any(String),
        details: null,
        requestId: res.headers['x-request-id'],
      },
    });
    const logged = lines.find(
      (l) => (l.req as { id?: string } | undefined)?.id === res.headers['x-request-id'],
    );
    // A 4xx is the caller's mistake: info, with the code it answered (issue 13).
    expect(logged).toMatchObject({
      level: 30,
      service: 'handoff',
      res: { statusCode: 401 },
      errorCode: 'UNAUTHENTICATED',
    });
  });

  it('never logs credentials', async () => {
    const agent = await registerAgent(t);
    await t.http.get('/v1/me').set(agent.auth).expect(200);
    expect(JSON.stringify(lines)).not.toContain(agent.accessToken);
    expect(JSON.stringify(lines)).not.toContain('correct horse battery staple');
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const res = await t.http.get('/v1/nothing-here').expect(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
  });

  it('answers a bad UUID path parameter with 400 naming it', async () => {
    const company = await t.http
      .post('/v1/auth/register')
      .send({
        email: 'co-uuid@example.test',
        password: 'correct horse battery staple',
        role: 'company_admin',
        companyName: 'C',
      })
      .expect(201);
    const res = await t.http
      .delete('/v1/companies/me/api-keys/not-a-uuid')
      .set('Authorization', `Bearer ${company.body.accessToken}`)
      .expect(400);
    expect(res.body.error.details.fields).toEqual([
      { field: 'id', messages: ['id must be a UUID'] },
    ]);
  });

  it('serves liveness and readiness', async () => {
    expect((await t.http.get('/health').expect(200)).body.status).toBe('ok');
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.details).toEqual({
      database: { status: 'up' },
      redis: { status: 'up' },
      lifecycle: { status: 'up' },
    });
  });

  describe('OpenAPI', () => {
    let doc: {
      paths: Record<
        string,
        Record<string, { security?: unknown[]; requestBody?: unknown; responses: object }>
      >;
      components: {
        schemas: Record<
          string,
          { properties?: Record<string, { enum?: string[] }>; required?: string[] }
        >;
      };
    };
    beforeAll(async () => {
      doc = (await t.http.get('/docs-json').expect(200)).body;
    });

    it('documents every route, with security on every protected one', () => {
      // /metrics is Prometheus', not integrators': left out on purpose (test/metrics.e2e-spec.ts).
      for (const route of listRoutes(t.app).filter((r) => r.key !== 'GET /metrics')) {
        const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
        const op = doc.paths[path]?.[route.method.toLowerCase()];
        expect({ route: route.key, documented: !!op }).toEqual({
          route: route.key,
          documented: true,
        });
        expect({ route: route.key, secured: !!op.security?.length }).toEqual({
          route: route.key,
          secured: !route.isPublic,
        });
      }
    });

    it('describes request bodies from the DTOs', () => {
      const register = doc.components.schemas.RegisterDto;
      expect(Object.keys(register.properties!).sort()).toEqual([
        'companyName',
        'email',
        'password',
        'role',
      ]);
      expect(register.properties!.role.enum).toEqual(['agent', 'company_admin']);
      expect(register.required).toEqual(expect.arrayContaining(['email', 'password', 'role']));
      expect(doc.paths['/v1/auth/register'].post.requestBody).toBeDefined();
      expect(Object.keys(doc.components.schemas.CreatedApiKeyDto.properties!)).toContain('key');
    });

    it('serves the UI at /docs', async () => {
      const res = await t.http.get('/docs').redirects(1).expect(200);
      expect(res.text).toContain('swagger-ui');
    });
  });

  // Readiness pinged PostgreSQL through the pool requests and jobs share: with every connection
  // taken by a burst of work, it waited past its 1.5 s in the pool's queue and answered 503,
  // and a balancer would take every busy process out at once.
  it('stays ready while every connection of the pool is taken', async () => {
    const size = Number(t.env.DB_POOL_SIZE);
    const held = await Promise.all(
      Array.from({ length: size }, async () => {
        const runner = t.db.createQueryRunner();
        await runner.connect();
        await runner.query('SELECT 1');
        return runner;
      }),
    );
    try {
      const ready = await t.http.get('/health/ready').expect(200);
      expect(ready.body.details.database).toEqual({ status: 'up' });
    } finally {
      await Promise.all(held.map((r) => r.release()));
    }
  });

  // After a failover that left its socket half-open, every later ping queued behind the one
  // never answered: a healthy process stayed out of rotation until the kernel gave up.
  it('drops a readiness connection whose ping got no answer: the next check opens another', async () => {
    const url = new URL(t.env.DATABASE_URL!);
    const proxy = await startTcpProxy(Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    const c = await createTestApp({ shareWith: t, env: { DATABASE_URL: url.toString() } });
    try {
      await c.http.get('/health/ready').expect(200);
      proxy.freeze(); // every connection open now passes nothing more, and stays open
      const stuck = await c.http.get('/health/ready').expect(503);
      expect(stuck.body.error.details.details.database).toEqual({
        status: 'down',
        message: 'unavailable',
      });
      await c.http.get('/health/ready').expect(200);
    } finally {
      await proxy.close();
      await c.close();
    }
  });

  it('reports not ready when Redis is unreachable', async () => {
    const { QueuesService } = await import('../src/modules/jobs/queues.service');
    const client = await t.app.get(QueuesService).get('default').client;
    client.disconnect();
    const res = await t.http.get('/health/ready').expect(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.body.error.details.details).toEqual({
      database: { status: 'up' },
      // Which is down, not the driver's words (hosts, ports, users): those go to the log.
      redis: { status: 'down', message: 'unavailable' },
      lifecycle: { status: 'up' },
    });
    await client.connect();
    await t.http.get('/health/ready').expect(200);
  });
});
