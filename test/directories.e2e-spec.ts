import { createStaff, registerAgent, registerCompany, SignedIn } from './support/factories';
import { pageAll } from './support/pages';
import { postShift } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Finding people: the staff's agent directory (GET /v1/agents), the admin's staff list
 * (GET /v1/staff) and a company's agents, those who held seats on its shifts
 * (GET /v1/companies/me/agents).
 */
describe('directories', () => {
  let t: TestApp;
  let admin: SignedIn;
  let finance: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await createStaff(t, 'admin');
    finance = await createStaff(t, 'finance');
  });
  afterAll(async () => {
    await t.close();
  });

  const named = async (displayName: string, email?: string) => {
    const agent = await registerAgent(t, email);
    await t.http.patch('/v1/agents/me/profile').set(agent.auth).send({ displayName }).expect(200);
    return agent;
  };

  describe('the agent directory', () => {
    let zed: SignedIn;
    let zoe: SignedIn;
    let other: SignedIn;
    beforeAll(async () => {
      zed = await named('Zed Quill', `zquill-${Date.now()}@mail.test`);
      zoe = await named('Zoë Quillon');
      other = await named('Someone Else');
      await t.http
        .post(`/v1/agents/${zoe.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'No-shows' })
        .expect(200);
    });

    it('finds agents by a part of the name, any case, by name, with email and status', async () => {
      const res = await t.http.get('/v1/agents?q=QUILL').set(admin.auth).expect(200);
      expect(res.body.items.map((a: { agentId: string }) => a.agentId)).toEqual([zed.id, zoe.id]);
      expect(res.body.items[0]).toMatchObject({
        displayName: 'Zed Quill',
        email: zed.email,
        suspendedAt: null,
      });
      expect(res.body.items[1].suspendedReason).toBe('No-shows');
      expect(res.body.nextCursor).toBeNull();
    });

    it('finds an agent by the start of the email, not by its middle', async () => {
      const start = zed.email.slice(0, 12).toUpperCase();
      const byStart = await t.http
        .get('/v1/agents')
        .query({ q: start })
        .set(finance.auth)
        .expect(200);
      expect(byStart.body.items.map((a: { agentId: string }) => a.agentId)).toEqual([zed.id]);
      const middle = await t.http.get('/v1/agents?q=mail.test').set(admin.auth).expect(200);
      expect(middle.body.items).toEqual([]);
    });

    it('filters by status and takes % literally', async () => {
      const suspended = await t.http
        .get('/v1/agents?q=quill&status=suspended')
        .set(admin.auth)
        .expect(200);
      expect(suspended.body.items.map((a: { agentId: string }) => a.agentId)).toEqual([zoe.id]);
      const active = await t.http.get('/v1/agents?q=quill&status=active').set(admin.auth);
      expect(active.body.items.map((a: { agentId: string }) => a.agentId)).toEqual([zed.id]);
      const percent = await t.http.get('/v1/agents?q=%25').set(admin.auth).expect(200);
      expect(percent.body.items).toEqual([]);
    });

    it('pages through every agent once, by name', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: {
          body: { items: { agentId: string; displayName: string }[]; nextCursor: string | null };
        } = await t.http
          .get('/v1/agents')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(admin.auth)
          .expect(200);
        seen.push(...res.body.items.map((a) => a.agentId));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining([zed.id, zoe.id, other.id]));
    });

    it('pages past agents with the longest names the profile allows', async () => {
      // 100 characters each, 3 and 4 bytes of UTF-8 and escaped in JSON: the longest cursors.
      const longest = [
        await named('名'.repeat(100)),
        await named('😀'.repeat(100)),
        await named('"\\'.repeat(50)),
      ];
      const seen = await pageAll(t, '/v1/agents', admin.auth, 500, 'agentId');
      expect(seen).toEqual(expect.arrayContaining(longest.map((a) => a.id)));
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('says when more emails start with the term than a search takes (200)', async () => {
      // 201 agents whose emails start alike and whose names do not hold the term.
      const tag = `bulk${Date.now()}`;
      await t.db.query(
        `WITH u AS (
           INSERT INTO users (email, password_hash, role)
           SELECT '${tag}-' || lpad(n::text, 3, '0') || '@x.test', 'x', 'agent'
             FROM generate_series(0, 200) n RETURNING id)
         INSERT INTO agents (user_id, display_name) SELECT id, 'Zed ' || id FROM u`,
      );
      const all = await t.http.get(`/v1/agents?q=${tag}&limit=100`).set(admin.auth).expect(200);
      expect(all.body.emailMatchesLimited).toBe(true);
      const fewer = await t.http
        .get(`/v1/agents?q=${tag}-00&limit=100`)
        .set(admin.auth)
        .expect(200);
      expect([fewer.body.items.length, fewer.body.emailMatchesLimited]).toEqual([10, false]);
      const none = await t.http.get('/v1/agents?q=quill').set(admin.auth).expect(200);
      expect(none.body.emailMatchesLimited).toBe(false);
    });

    it('refuses a blank term, a bad status and a forged cursor, naming the field', async () => {
      for (const [query, field] of [
        ['q=%20%20', 'q'],
        ['status=gone', 'status'],
        ['cursor=WyJ4Il0', 'cursor'],
      ]) {
        const res = await t.http.get(`/v1/agents?${query}`).set(admin.auth).expect(400);
        expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(
          field,
        );
      }
    });
  });

  it('lists the staff by role then email, for an admin only', async () => {
    const all = await t.http.get('/v1/staff').set(admin.auth).expect(200);
    const emails = all.body.map((u: { email: string }) => u.email);
    expect(emails).toEqual(expect.arrayContaining([admin.email, finance.email]));
    expect(all.body.map((u: { role: string }) => u.role)).not.toContain('agent');
    const roles = all.body.map((u: { role: string }) => u.role);
    expect(roles).toEqual([...roles].sort());
    const onlyFinance = await t.http.get('/v1/staff?role=finance').set(admin.auth).expect(200);
    expect(onlyFinance.body.every((u: { role: string }) => u.role === 'finance')).toBe(true);
    await t.http.get('/v1/staff?role=agent').set(admin.auth).expect(400);
    await t.http.get('/v1/staff').set(finance.auth).expect(403);
  });

  describe("a company's agents", () => {
    it('are those who held seats on its shifts, found by name, with its certifications', async () => {
      const acme = await registerCompany(t, 'Acme');
      const globex = await registerCompany(t, 'Globex');
      const worked = await named('Mira Worked');
      const certified = await named('Mira Certified');
      const elsewhere = await named('Mira Elsewhere');
      await named('Mira Never');
      const acmeShift = await postShift(t, acme, { seats: 5 });
      const globexShift = await postShift(t, globex, { seats: 5 });
      for (const agent of [worked, certified]) {
        await t.http.post(`/v1/shifts/${acmeShift.id}/claims`).set(agent.auth).expect(201);
      }
      await t.http.post(`/v1/shifts/${globexShift.id}/claims`).set(elsewhere.auth).expect(201);
      await t.http
        .put(`/v1/companies/me/certified-agents/${certified.id}`)
        .set(acme.auth)
        .expect(200);

      const res = await t.http.get('/v1/companies/me/agents?q=mira').set(acme.auth).expect(200);
      const byId = new Map(res.body.map((a: { agentId: string }) => [a.agentId, a]));
      expect([...byId.keys()].sort()).toEqual([worked.id, certified.id].sort());
      expect(byId.get(certified.id)).toMatchObject({
        displayName: 'Mira Certified',
        seatsCompleted: 0,
        certifiedAt: expect.any(String),
      });
      expect(byId.get(worked.id)).toMatchObject({ certifiedAt: null });
      // No email: a company sees its agents' names only.
      expect(res.body[0].email).toBeUndefined();

      const narrowed = await t.http
        .get('/v1/companies/me/agents?q=certif')
        .set(acme.auth)
        .expect(200);
      expect(narrowed.body.map((a: { agentId: string }) => a.agentId)).toEqual([certified.id]);
      const theirs = await t.http.get('/v1/companies/me/agents').set(globex.auth).expect(200);
      expect(theirs.body.map((a: { agentId: string }) => a.agentId)).toEqual([elsewhere.id]);
      const bad = await t.http.get('/v1/companies/me/agents?limit=0').set(acme.auth).expect(400);
      expect(bad.body.error.details.fields[0].field).toBe('limit');
    });
  });
});
