import { prettyFormatter } from './pretty';

const format = prettyFormatter(false);
const line = (fields: Record<string, unknown>) =>
  format(
    JSON.stringify({
      level: 30,
      time: '2026-03-01T10:11:12.345Z',
      pid: 4242,
      service: 'handoff',
      role: 'api',
      ...fields,
    }),
  );

describe('pretty log lines (terminal)', () => {
  it('shows a request as method, path, status, code, time and caller on one line', () => {
    const out = line({
      req: { id: 'r-1', method: 'GET', url: '/v1/tickets/t-9' },
      res: { statusCode: 404 },
      responseTime: 3,
      errorCode: 'NOT_FOUND',
      caller: { role: 'bot', apiKeyId: 'k-1', companyId: 'c-1' },
      msg: 'request completed',
    });
    expect(out).toMatch(
      /INFO.*: GET \/v1\/tickets\/t-9 404 NOT_FOUND 3 ms · key k-1 company c-1\n$/,
    );
    expect(out.split('\n')).toHaveLength(2); // one line
    expect(out).not.toMatch(/4242|handoff|"req"|"res"/);
  });

  it('names a user caller by role and id, and an aborted request as such', () => {
    const out = line({
      req: { id: 'r-2', method: 'POST', url: '/v1/agents/me/tickets/claim-next' },
      res: { statusCode: 200 },
      responseTime: 12,
      caller: { role: 'agent', userId: 'u-1', companyId: null },
      msg: 'request aborted',
    });
    expect(out).toContain(
      'POST /v1/agents/me/tickets/claim-next 200 12 ms · agent u-1 (request aborted)',
    );
  });

  it('prefixes the context, keeps other fields on the line, and shows an error stack', () => {
    expect(line({ context: 'Routes', msg: 'mapped 3 routes in 2 controllers' })).toContain(
      ': [Routes] mapped 3 routes in 2 controllers',
    );
    expect(line({ msg: 'Handoff API listening on :3000', port: 3000 })).toMatch(
      /Handoff API listening on :3000 \{"port":3000\}/,
    );
    const error = line({
      level: 50,
      context: 'Errors',
      requestId: 'r-3',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at somewhere' },
      msg: 'unhandled error on GET /x',
    });
    expect(error).toMatch(/ERROR.*\[Errors\] unhandled error on GET \/x/);
    expect(error).toContain('at somewhere');
  });
});
