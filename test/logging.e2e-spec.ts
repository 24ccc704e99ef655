import { QueryFailedError } from 'typeorm';
import { DiscoveryService } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createRootLogger } from '../src/common/logging/root-logger';
import { SkillsService } from '../src/modules/skills/skills.service';
import { createStaff, registerAgent, registerCompany, SignedIn } from './support/factories';
import { listRoutes } from './support/routes';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

type LogLine = Record<string, unknown> & {
  level: number;
  msg?: string;
  context?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
};

const INFO = 30;
const ERROR = 50;

/** Logs as an operator reads them (issue 13): who called, what code, at what level. */
describe('logs', () => {
  let t: TestApp;
  const lines: LogLine[] = [];
  let company: SignedIn;
  let bot: { key: string; id: string };

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    t = await createTestApp({ logger: createRootLogger('info', 'api', sink) });
    company = await registerCompany(t, 'Logging Co');
    const created = await t.http
      .post('/v1/companies/me/api-keys')
      .set(company.auth)
      .send({ name: 'log bot' })
      .expect(201);
    bot = { key: created.body.key, id: created.body.id };
  });
  afterAll(async () => {
    await t.close();
  });

  /** pino-http's line for the response, found by the request id the API answered with. */
  const requestLine = (res: { headers: Record<string, string> }) =>
    waitFor(
      async () =>
        lines.find((l) => l.req?.id === res.headers['x-request-id'] && l.res !== undefined),
      `the request log line of ${res.headers['x-request-id']}`,
      5_000,
    );

  describe('start-up', () => {
    it('logs one line summarising the routes instead of one per module, controller and route', () => {
      const chatter = ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'];
      expect(lines.filter((l) => chatter.includes(l.context!))).toEqual([]);
      const summaries = lines.filter((l) =>
        /^mapped \d+ routes? in \d+ controllers?$/.test(l.msg!),
      );
      const routes = listRoutes(t.app).length;
      const controllers = t.app.get(DiscoveryService).getControllers().length;
      expect(summaries).toEqual([
        expect.objectContaining({ level: INFO, context: 'Routes', routes, controllers }),
      ]);
      expect(summaries[0].msg).toBe(`mapped ${routes} routes in ${controllers} controllers`);
      // Just before Nest says it is ready: the start-up story stays in order.
      const ready = lines.findIndex((l) => l.msg === 'Nest application successfully started');
      expect(lines.indexOf(summaries[0])).toBe(ready - 1);
    });
  });

  describe('request lines', () => {
    it('name a user caller: user id, role and company', async () => {
      const res = await t.http.get('/v1/me').set(company.auth).expect(200);
      const line = await requestLine(res);
      expect(line).toMatchObject({
        level: INFO,
        caller: { role: 'company_admin', userId: company.id, companyId: company.companyId },
        res: { statusCode: 200 },
      });
      expect(line.errorCode).toBeUndefined();
    });

    it('say which request it was: method and the URL as sent, and how long it took', async () => {
      const agent = await registerAgent(t);
      const res = await t.http.get('/v1/skills?includeRetired=true').set(agent.auth).expect(200);
      const line = await requestLine(res);
      expect(line.req).toEqual({
        id: res.headers['x-request-id'],
        method: 'GET',
        url: '/v1/skills?includeRetired=true',
      });
      expect(line.responseTime).toEqual(expect.any(Number));
    });

    // Staff find agents by name or email prefix: what they typed was logged with the URL.
    it('leave out what a search was for (a name or an email), naming the parameter', async () => {
      const finance = await createStaff(t, 'finance');
      const res = await t.http
        .get('/v1/agents?limit=5&q=ana.p%40mail.test')
        .set(finance.auth)
        .expect(200);
      const line = await requestLine(res);
      expect(line.req?.url).toBe('/v1/agents?limit=5&q=[redacted]');
      expect(JSON.stringify(lines)).not.toContain('ana.p');
      // An error's message names the URL too.
      const bad = await t.http
        .get(`/v1/agents?q=ana.p%40mail.test&limit=0`)
        .set(finance.auth)
        .expect(400);
      expect((await requestLine(bad)).req?.url).toBe('/v1/agents?q=[redacted]&limit=0');
      expect(JSON.stringify(lines)).not.toContain('ana.p');
    });

    it('leave out the health probes, which would drown the log', async () => {
      const health = await t.http.get('/health');
      expect(health.headers['x-request-id']).toBeTruthy();
      const after = await t.http.get('/v1/me').set(company.auth).expect(200);
      await requestLine(after); // logged after the probe finished
      expect(lines.filter((l) => l.req?.id === health.headers['x-request-id'])).toEqual([]);
    });

    it('name an agent, who has no company', async () => {
      const agent = await registerAgent(t);
      const line = await requestLine(await t.http.get('/v1/me').set(agent.auth).expect(200));
      expect(line.caller).toEqual({ role: 'agent', userId: agent.id, companyId: null });
    });

    it('name a bot by its API key id and company, never by the key', async () => {
      const res = await t.http
        .get('/v1/bot/me')
        .set('Authorization', `Bearer ${bot.key}`)
        .expect(200);
      const line = await requestLine(res);
      expect(line).toMatchObject({
        level: INFO,
        caller: { role: 'bot', apiKeyId: bot.id, companyId: company.companyId },
      });
      expect(JSON.stringify(lines)).not.toContain(bot.key);
    });

    it('log a 4xx at info with its error code and the caller', async () => {
      const res = await t.http
        .get(`/v1/tickets/${randomUUID()}`)
        .set('Authorization', `Bearer ${bot.key}`)
        .expect(404);
      expect(await requestLine(res)).toMatchObject({
        level: INFO,
        errorCode: 'NOT_FOUND',
        res: { statusCode: 404 },
        caller: { role: 'bot', apiKeyId: bot.id, companyId: company.companyId },
      });
      const invalid = await t.http
        .post('/v1/escalations')
        .set('Authorization', `Bearer ${bot.key}`)
        .send({ nonsense: true })
        .expect(400);
      expect(await requestLine(invalid)).toMatchObject({
        level: INFO,
        errorCode: 'VALIDATION_FAILED',
      });
    });

    it('log a refused credential at info with its code, naming no caller', async () => {
      const res = await t.http.get('/v1/me').set('Authorization', 'Bearer nope').expect(401);
      const line = await requestLine(res);
      expect(line).toMatchObject({ level: INFO, errorCode: 'UNAUTHENTICATED' });
      expect(line.caller).toBeUndefined();
    });

    it('log a 5xx at error with the code, the caller, and the real error beside it', async () => {
      const agent = await registerAgent(t);
      jest
        .spyOn(t.app.get(SkillsService), 'list')
        .mockRejectedValueOnce(new Error('the disk is on fire'));
      const res = await t.http.get('/v1/skills').set(agent.auth).expect(500);
      const line = await requestLine(res);
      expect(line).toMatchObject({
        level: ERROR,
        errorCode: 'INTERNAL',
        res: { statusCode: 500 },
        caller: { role: 'agent', userId: agent.id, companyId: null },
      });
      // pino-http's made-up "failed with status code 500" is dropped: the filter logged the cause.
      expect(line.err).toBeUndefined();
      const cause = lines.find(
        (l) => l.context === 'Errors' && l.requestId === res.headers['x-request-id'],
      );
      expect(cause).toMatchObject({ level: ERROR, err: { message: 'the disk is on fire' } });
    });

    it('log a failed query without its values (emails, customers’ messages), keeping the query', async () => {
      const agent = await registerAgent(t);
      const failed = new QueryFailedError(
        'SELECT $1::text',
        ['customer@example.com', 'my card number is 4242'],
        Object.assign(new Error('deadlock detected'), {
          detail: 'Key (email)=(customer@example.com) already exists.',
        }),
      );
      jest.spyOn(t.app.get(SkillsService), 'list').mockRejectedValueOnce(failed);
      const res = await t.http.get('/v1/skills').set(agent.auth).expect(500);
      await requestLine(res);
      const cause = lines.find(
        (l) => l.context === 'Errors' && l.requestId === res.headers['x-request-id'],
      );
      expect(cause).toMatchObject({
        err: { query: 'SELECT $1::text', parameters: '[redacted]', message: 'deadlock detected' },
      });
      expect(JSON.stringify(cause)).not.toContain('customer@example.com');
      expect(JSON.stringify(cause)).not.toContain('4242');
    });

    it('warn once when a request comes through a proxy while TRUST_PROXY is off', async () => {
      for (let i = 0; i < 2; i++) {
        await t.http.get('/health').set('X-Forwarded-For', '203.0.113.9').expect(200);
      }
      const said = lines.filter((l) => /TRUST_PROXY is off/.test(String(l.msg)));
      expect(said).toEqual([expect.objectContaining({ level: 40, context: 'Http' })]);
    });

    it('log a refused Redis command without its arguments (a job’s JSON), keeping its name', async () => {
      const agent = await registerAgent(t);
      // As ioredis rejects a command Redis refused (the outbox relay logs it every poll).
      const refused = Object.assign(
        new Error("OOM command not allowed when used memory > 'maxmemory'."),
        {
          name: 'ReplyError',
          command: {
            name: 'evalsha',
            args: ['0123abcd', '8', '{"body":"my card number is 4242","ticketId":"t-1"}'],
          },
        },
      );
      jest.spyOn(t.app.get(SkillsService), 'list').mockRejectedValueOnce(refused);
      const res = await t.http.get('/v1/skills').set(agent.auth).expect(500);
      await requestLine(res);
      const cause = lines.find(
        (l) => l.context === 'Errors' && l.requestId === res.headers['x-request-id'],
      );
      expect(cause).toMatchObject({ err: { command: { name: 'evalsha', args: '[redacted]' } } });
      expect(JSON.stringify(cause)).not.toContain('4242');
    });
  });
});
