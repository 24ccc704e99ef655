import type { Test } from 'supertest';
import {
  PASSWORD,
  registerAgent,
  registerCompany,
  rowCounts,
  SignedIn,
  uniqueEmail,
} from './support/factories';
import { listRoutes } from './support/routes';
import { createTestApp, TestApp } from './support/test-app';

interface BodyRoute {
  /** A body the route accepts (or at least gets past validation with). */
  valid: () => Record<string, unknown>;
  /** Fields whose absence must be refused. */
  required: string[];
  /** Required only given other fields (so not named when the body is empty). */
  conditional?: string[];
  auth?: 'company';
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
  },
  'POST /v1/auth/refresh': {
    valid: () => ({ refreshToken: `${crypto.randomUUID()}.${'a'.repeat(43)}` }),
    required: ['refreshToken'],
  },
  'POST /v1/auth/logout': {
    valid: () => ({ refreshToken: `${crypto.randomUUID()}.${'a'.repeat(43)}` }),
    required: ['refreshToken'],
  },
  'POST /v1/companies/me/api-keys': {
    valid: () => ({ name: 'bot' }),
    required: ['name'],
    auth: 'company',
  },
};

const WRONG_TYPES: unknown[] = [42, true, { nested: 'object' }, ['array'], null];

describe('bad input on every route with a body', () => {
  let t: TestApp;
  let company: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    company = await registerCompany(t);
    await registerAgent(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (key: string): Test => {
    const [, path] = key.split(' ');
    const req = t.http.post(path);
    return BODY_ROUTES[key].auth === 'company' ? req.set(company.auth) : req;
  };

  function fieldsOf(res: { body: { error?: { details?: { fields?: { field: string }[] } } } }) {
    return (res.body.error?.details?.fields ?? []).map((f) => f.field);
  }

  it('covers every route that takes a body', () => {
    const withBody = listRoutes(t.app)
      .filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))
      .map((r) => r.key);
    expect(withBody.sort()).toEqual(Object.keys(BODY_ROUTES).sort());
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
      }
    });

    it('names each field given a wrong type', async () => {
      for (const field of Object.keys(BODY_ROUTES[key].valid())) {
        for (const wrong of WRONG_TYPES) {
          const res = await post(key).send({ ...BODY_ROUTES[key].valid(), [field]: wrong });
          expect({
            field,
            wrong,
            status: res.status,
            named: fieldsOf(res).includes(field),
          }).toEqual({
            field,
            wrong,
            status: 400,
            named: true,
          });
        }
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
    });

    it.each(['[]', '"a string"', 'null', '42'])(
      'refuses a non-object JSON body %s',
      async (raw) => {
        const res = await post(key).set('Content-Type', 'application/json').send(raw);
        expect(res.status).toBe(400);
        expect(['MALFORMED_JSON', 'VALIDATION_FAILED']).toContain(res.body.error.code);
      },
    );

    it('refuses an empty body, naming the required fields', async () => {
      const res = await post(key);
      expect(res.status).toBe(400);
      const { required, conditional = [] } = BODY_ROUTES[key];
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
