import { createTestApp, TestApp } from './support/test-app';
import { PASSWORD, registerAgent, registerCompany, uniqueEmail } from './support/factories';

describe('auth: register, login, me, refresh, logout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers an agent, logs in and reads /v1/me', async () => {
    const email = uniqueEmail('Agent').replace('agent', 'AGENT');
    const reg = await t.http
      .post('/v1/auth/register')
      .send({ email, password: PASSWORD, role: 'agent' })
      .expect(201);
    expect(reg.body.user).toMatchObject({
      email: email.toLowerCase(),
      role: 'agent',
      companyId: null,
    });
    expect(reg.body.user.passwordHash).toBeUndefined();

    const login = await t.http
      .post('/v1/auth/login')
      .send({ email: email.toUpperCase(), password: PASSWORD })
      .expect(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });

    const me = await t.http
      .get('/v1/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: reg.body.user.id, role: 'agent', company: null });
  });
});
