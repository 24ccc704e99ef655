import { CertificationsRepository } from '../src/modules/agents/certifications.repository';
import { createStaff, registerAgent, registerCompany, SignedIn } from './support/factories';
import { pageAll } from './support/pages';
import { postShift, shiftBody } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';
import { lockWaiters, waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { waitFor } from './support/wait-for';

describe('skills, agent profiles, certifications', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await createStaff(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
  });

  describe('skill taxonomy', () => {
    it('is seeded with a starter set everyone signed in can read', async () => {
      const agent = await registerAgent(t);
      const res = await t.http.get('/v1/skills').set(agent.auth).expect(200);
      const codes = res.body.map((s: { code: string }) => s.code);
      for (const code of [
        'billing',
        'refunds',
        'payments',
        'fraud',
        'account_access',
        'shipping',
        'returns',
        'technical',
        'complaints',
        'retention',
      ]) {
        expect(codes).toContain(code);
      }
    });

    it('lets admins add, retire and reinstate skills', async () => {
      await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'loyalty', name: 'Loyalty programme' })
        .expect(201);
      const dup = await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'loyalty', name: 'Again' })
        .expect(409);
      expect(dup.body.error.code).toBe('SKILL_EXISTS');
      const retired = await t.http.delete('/v1/skills/loyalty').set(admin.auth).expect(200);
      expect(retired.body.retiredAt).not.toBeNull();
      const active = await t.http.get('/v1/skills').set(admin.auth).expect(200);
      expect(active.body.map((s: { code: string }) => s.code)).not.toContain('loyalty');
      const all = await t.http.get('/v1/skills?includeRetired=true').set(admin.auth).expect(200);
      expect(all.body.map((s: { code: string }) => s.code)).toContain('loyalty');
      await t.http.post('/v1/skills/loyalty/reinstate').set(admin.auth).expect(200);
      await t.http.delete('/v1/skills/no_such_skill').set(admin.auth).expect(404);
    });

    it('makes a retirement wait for a shift being posted with the skill: it never answers before the shift is there', async () => {
      await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'loyalty_race', name: 'Loyalty race' })
        .expect(201);
      const company = await registerCompany(t);
      const said: string[] = [];
      await withRowsHeld(t, 'LOCK TABLE shift_required_skills IN SHARE MODE', [], async (held) => {
        // The post has read the skill as current and waits to write its requirement.
        const post = t.http
          .post('/v1/shifts')
          .set(company.auth)
          .send(shiftBody({ requiredSkills: [{ skill: 'loyalty_race', minLevel: 1 }] }))
          .then((r) => said.push(`post ${r.status}`));
        await waitForLockWaiters(t, 1, 'the post queued behind the held table');
        // When it answers, the shift requiring the skill is there already (answers may arrive
        // in either order).
        const retire = t.http
          .delete('/v1/skills/loyalty_race')
          .set(admin.auth)
          .then(async (r) => {
            const [{ n }] = await t.db.query(
              `SELECT count(*)::int AS n FROM shift_required_skills WHERE skill = 'loyalty_race'`,
            );
            said.push(`retire ${r.status} after ${n} shift`);
          });
        // Read plain, the retirement answered here, before the shift requiring it committed.
        await waitForLockWaiters(t, 2, 'the retirement queued behind the post');
        expect(said).toEqual([]);
        await held.commitTransaction();
        await Promise.all([post, retire]);
      });
      expect(said.sort()).toEqual(['post 201', 'retire 200 after 1 shift']);
      // Retired now: the next post is refused, naming the field.
      const refused = await t.http
        .post('/v1/shifts')
        .set(company.auth)
        .send(shiftBody({ requiredSkills: [{ skill: 'loyalty_race', minLevel: 1 }] }))
        .expect(400);
      expect(refused.body.error.details.fields[0].field).toBe('requiredSkills.0.skill');
    });

    it('answers a retire or a reinstatement retried with its Idempotency-Key as the first, never undoing what another admin did meanwhile', async () => {
      await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'gift_cards', name: 'Gift cards' })
        .expect(201);
      const other = await createStaff(t, 'admin');
      const retire = () =>
        t.http.delete('/v1/skills/gift_cards').set(admin.auth).set('Idempotency-Key', 'retire-gc');
      const first = await retire().expect(200);
      await t.http.post('/v1/skills/gift_cards/reinstate').set(other.auth).expect(200);
      expect((await retire().expect(200)).body).toEqual(first.body); // the first answer
      const retiredAt = async () =>
        (await t.http.get('/v1/skills?includeRetired=true').set(admin.auth).expect(200)).body.find(
          (s: { code: string }) => s.code === 'gift_cards',
        ).retiredAt;
      expect(await retiredAt()).toBeNull(); // still reinstated

      const reinstate = () =>
        t.http
          .post('/v1/skills/gift_cards/reinstate')
          .set(admin.auth)
          .set('Idempotency-Key', 'reinstate-gc');
      await t.http.delete('/v1/skills/gift_cards').set(other.auth).expect(200);
      const back = await reinstate().expect(200);
      await t.http.delete('/v1/skills/gift_cards').set(other.auth).expect(200);
      expect((await reinstate().expect(200)).body).toEqual(back.body);
      expect(await retiredAt()).not.toBeNull(); // still retired
    });

    it('refuses malformed skill codes, naming the field', async () => {
      const res = await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'Bad Code', name: 'x' })
        .expect(400);
      expect(res.body.error.details.fields[0].field).toBe('code');
    });
  });

  describe('agent profile and skills', () => {
    it('has a profile from registration, with defaults', async () => {
      const agent = await registerAgent(t);
      const res = await t.http.get('/v1/agents/me/profile').set(agent.auth).expect(200);
      expect(res.body).toMatchObject({
        agentId: agent.id,
        // Neutral until the agent names itself: companies and bots see it, and the email's
        // local part gave the address away.
        displayName: `Agent ${agent.id.slice(0, 8)}`,
        timeZone: 'UTC',
        languages: [],
        maxConcurrentTickets: 3,
        suspendedAt: null,
      });
    });

    it("gives agents still named after their email's local part the neutral name (migration NeutralAgentNames)", async () => {
      const kept = await registerAgent(t);
      const local = await registerAgent(t);
      await t.http.patch('/v1/agents/me/profile').set(kept.auth).send({ displayName: 'Kim' });
      // As every agent was named at sign-up before.
      await t.db.query('UPDATE agents SET display_name = $2 WHERE user_id = $1', [
        local.id,
        local.email.split('@')[0],
      ]);
      const { NeutralAgentNames1796670000000: Migration } =
        await import('../migrations/1796670000000-NeutralAgentNames');
      const runner = t.db.createQueryRunner();
      try {
        await new Migration().up(runner);
      } finally {
        await runner.release();
      }
      const names = async (who: SignedIn) =>
        (await t.http.get('/v1/agents/me/profile').set(who.auth).expect(200)).body.displayName;
      expect(await names(local)).toBe(`Agent ${local.id.slice(0, 8)}`);
      expect(await names(kept)).toBe('Kim');
    });

    it('replaces the profile, validating time zone, languages and limits', async () => {
      const agent = await registerAgent(t);
      const ok = await t.http
        .put('/v1/agents/me/profile')
        .set(agent.auth)
        .send({
          displayName: 'Sam',
          timeZone: 'America/Sao_Paulo',
          languages: ['pt', 'en'],
          maxConcurrentTickets: 5,
        })
        .expect(200);
      expect(ok.body).toMatchObject({
        displayName: 'Sam',
        timeZone: 'America/Sao_Paulo',
        languages: ['pt', 'en'],
        maxConcurrentTickets: 5,
      });
      const bad = await t.http
        .put('/v1/agents/me/profile')
        .set(agent.auth)
        .send({
          displayName: 'Sam',
          timeZone: 'Mars/Olympus',
          languages: ['xx', 'en'],
          maxConcurrentTickets: 11,
        })
        .expect(400);
      expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
        'languages',
        'maxConcurrentTickets',
        'timeZone',
      ]);
    });

    it('changes only the fields sent with PATCH, validating each', async () => {
      const agent = await registerAgent(t);
      const profile = {
        displayName: 'Sam',
        timeZone: 'America/Sao_Paulo',
        languages: ['pt'],
        maxConcurrentTickets: 5,
      };
      await t.http.put('/v1/agents/me/profile').set(agent.auth).send(profile).expect(200);
      const patch = (body: unknown) =>
        t.http
          .patch('/v1/agents/me/profile')
          .set(agent.auth)
          .send(body as object);
      const languages = await patch({ languages: ['pt', 'en'] }).expect(200);
      expect(languages.body).toMatchObject({ ...profile, languages: ['pt', 'en'] });
      const name = await patch({ displayName: '  Samantha ' }).expect(200);
      expect(name.body).toMatchObject({
        ...profile,
        displayName: 'Samantha',
        languages: ['pt', 'en'],
      });
      // An empty body changes nothing.
      const same = await patch({}).expect(200);
      expect(same.body).toEqual(name.body);
      for (const [body, field] of [
        [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
        [{ displayName: '   ' }, 'displayName'],
        [{ displayName: null }, 'displayName'],
        [{ languages: ['english'] }, 'languages'],
        [{ maxConcurrentTickets: 11 }, 'maxConcurrentTickets'],
        [{ maxConcurrentTickets: null }, 'maxConcurrentTickets'],
        [{ suspendedAt: null }, 'suspendedAt'],
      ] as const) {
        const bad = await patch(body);
        expect({ body, status: bad.status, fields: bad.body.error?.details?.fields }).toEqual({
          body,
          status: 400,
          fields: [expect.objectContaining({ field })],
        });
      }
      const after = await t.http.get('/v1/agents/me/profile').set(agent.auth).expect(200);
      expect(after.body).toEqual(name.body);
    });

    it('replaces skills with levels 1-5, refusing unknown, retired and repeated skills', async () => {
      const agent = await registerAgent(t);
      const ok = await t.http
        .put('/v1/agents/me/skills')
        .set(agent.auth)
        .send({
          skills: [
            { skill: 'refunds', level: 2 },
            { skill: 'billing', level: 5 },
          ],
        })
        .expect(200);
      expect(ok.body.skills).toEqual([
        { skill: 'billing', level: 5 },
        { skill: 'refunds', level: 2 },
      ]);

      const unknown = await t.http
        .put('/v1/agents/me/skills')
        .set(agent.auth)
        .send({
          skills: [
            { skill: 'billing', level: 3 },
            { skill: 'telepathy', level: 3 },
          ],
        })
        .expect(400);
      expect(unknown.body.error.details.fields).toEqual([
        { field: 'skills.1.skill', messages: ['unknown or retired skill "telepathy"'] },
      ]);
      const level = await t.http
        .put('/v1/agents/me/skills')
        .set(agent.auth)
        .send({ skills: [{ skill: 'billing', level: 6 }] })
        .expect(400);
      expect(level.body.error.details.fields[0].field).toBe('skills.0.level');
      const twice = await t.http
        .put('/v1/agents/me/skills')
        .set(agent.auth)
        .send({
          skills: [
            { skill: 'billing', level: 3 },
            { skill: 'billing', level: 4 },
          ],
        })
        .expect(400);
      expect(twice.body.error.details.fields[0].field).toBe('skills.1.skill');
      // Nothing was replaced by the refused calls.
      expect(
        (await t.http.get('/v1/agents/me/skills').set(agent.auth).expect(200)).body.skills,
      ).toHaveLength(2);
    });

    it('concurrent replacements of skills: one wins whole, none merges or fails', async () => {
      const sets = [
        [{ skill: 'billing', level: 2 }],
        [{ skill: 'refunds', level: 3 }],
        [{ skill: 'refunds', level: 4 }],
        [
          { skill: 'billing', level: 1 },
          { skill: 'fraud', level: 2 },
        ],
      ];
      for (let round = 0; round < 5; round++) {
        const agent = await registerAgent(t);
        await t.http
          .put('/v1/agents/me/skills')
          .set(agent.auth)
          .send({ skills: [{ skill: 'shipping', level: 1 }] })
          .expect(200);
        const answers = await Promise.all(
          sets.map((skills) => t.http.put('/v1/agents/me/skills').set(agent.auth).send({ skills })),
        );
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
        const now = (await t.http.get('/v1/agents/me/skills').set(agent.auth).expect(200)).body
          .skills as { skill: string; level: number }[];
        const sorted = (x: { skill: string; level: number }[]) =>
          [...x].sort((a, b) => a.skill.localeCompare(b.skill));
        expect(sets.map(sorted)).toContainEqual(sorted(now));
      }
    });

    it('lets a held skill stay after it is retired, but not be newly added', async () => {
      await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'legacy_orders', name: 'Legacy orders' })
        .expect(201);
      const holder = await registerAgent(t);
      await t.http
        .put('/v1/agents/me/skills')
        .set(holder.auth)
        .send({ skills: [{ skill: 'legacy_orders', level: 3 }] })
        .expect(200);
      await t.http.delete('/v1/skills/legacy_orders').set(admin.auth).expect(200);
      await t.http
        .put('/v1/agents/me/skills')
        .set(holder.auth)
        .send({ skills: [{ skill: 'legacy_orders', level: 4 }] })
        .expect(200);
      const newcomer = await registerAgent(t);
      await t.http
        .put('/v1/agents/me/skills')
        .set(newcomer.auth)
        .send({ skills: [{ skill: 'legacy_orders', level: 1 }] })
        .expect(400);
    });

    it('lets a shift keep a skill retired since it was required, but not newly require one', async () => {
      for (const code of ['old_desk', 'gone_desk']) {
        await t.http.post('/v1/skills').set(admin.auth).send({ code, name: code }).expect(201);
      }
      const company = await registerCompany(t, 'Retirees');
      const shift = await postShift(t, company, {
        requiredSkills: [{ skill: 'old_desk', minLevel: 2 }],
      });
      for (const code of ['old_desk', 'gone_desk']) {
        await t.http.delete(`/v1/skills/${code}`).set(admin.auth).expect(200);
      }
      const kept = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(company.auth)
        .send({
          requiredSkills: [
            { skill: 'old_desk', minLevel: 3 },
            { skill: 'billing', minLevel: 1 },
          ],
        })
        .expect(200);
      expect(kept.body.requiredSkills).toEqual([
        { skill: 'billing', minLevel: 1 },
        { skill: 'old_desk', minLevel: 3 },
      ]);
      const added = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(company.auth)
        .send({ requiredSkills: [{ skill: 'gone_desk', minLevel: 1 }] })
        .expect(400);
      expect(added.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'requiredSkills.0.skill',
      ]);
    });
  });

  describe('suspension', () => {
    it('lets an admin suspend and reinstate an agent, with a reason', async () => {
      const agent = await registerAgent(t);
      const res = await t.http
        .post(`/v1/agents/${agent.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'abusive language' })
        .expect(200);
      expect(res.body).toMatchObject({ agentId: agent.id, suspendedReason: 'abusive language' });
      expect(
        (await t.http.get('/v1/agents/me/profile').set(agent.auth)).body.suspendedAt,
      ).not.toBeNull();
      await t.http.post(`/v1/agents/${agent.id}/reinstate`).set(admin.auth).expect(200);
      expect(
        (await t.http.get('/v1/agents/me/profile').set(agent.auth)).body.suspendedAt,
      ).toBeNull();
    });

    it('answers 404 for ids that are not agents', async () => {
      const company = await registerCompany(t);
      await t.http
        .post(`/v1/agents/${company.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'x' })
        .expect(404);
      await t.http.post(`/v1/agents/${crypto.randomUUID()}/reinstate`).set(admin.auth).expect(404);
    });
  });

  describe('certifications', () => {
    it('lets a company certify and revoke an agent; the agent sees it', async () => {
      const company = await registerCompany(t, 'Certifying Co');
      const agent = await registerAgent(t);
      const first = await t.http
        .put(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .expect(200);
      const again = await t.http
        .put(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .expect(200);
      expect(again.body.certifiedAt).toBe(first.body.certifiedAt);
      const mine = await t.http.get('/v1/agents/me/certifications').set(agent.auth).expect(200);
      expect(mine.body).toEqual([
        {
          companyId: company.companyId,
          companyName: 'Certifying Co',
          certifiedAt: first.body.certifiedAt,
        },
      ]);
      const list = await t.http
        .get('/v1/companies/me/certified-agents')
        .set(company.auth)
        .expect(200);
      expect(list.body.items.map((c: { agentId: string }) => c.agentId)).toEqual([agent.id]);
      expect(list.body.nextCursor).toBeNull();
      await t.http
        .delete(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .expect(204);
      expect((await t.http.get('/v1/agents/me/certifications').set(agent.auth)).body).toEqual([]);
      await t.http
        .delete(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .expect(404);
    });

    it('answers the certification it made though a revocation races its read-back', async () => {
      const company = await registerCompany(t, 'Racing Co');
      const agent = await registerAgent(t);
      await t.http
        .put(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .expect(200);
      // Certified again while a revocation runs between the write and the read-back: it
      // commits then (the row unlocked), or waits for the certification's transaction.
      const repo = t.app.get(CertificationsRepository);
      const read = repo.amongAgents.bind(repo);
      let revoked: Promise<unknown> | undefined;
      const spy = jest.spyOn(repo, 'amongAgents').mockImplementation(async (em, companyId, ids) => {
        if (companyId === company.companyId && !revoked) {
          let done = false;
          revoked = t.db
            .query('DELETE FROM certifications WHERE company_id = $1 AND agent_id = $2', [
              companyId,
              agent.id,
            ])
            .then(() => (done = true));
          await waitFor(
            async () => done || (await lockWaiters(t)) > 0,
            'the revocation to commit or to wait',
          );
        }
        return read(em, companyId, ids);
      });
      try {
        const again = await t.http
          .put(`/v1/companies/me/certified-agents/${agent.id}`)
          .set(company.auth)
          .expect(200);
        expect(again.body).toMatchObject({ agentId: agent.id, certifiedAt: expect.any(String) });
      } finally {
        spy.mockRestore();
      }
      await revoked;
    });

    it("keeps certifications to their company: B cannot see or revoke A's", async () => {
      const a = await registerCompany(t, 'A');
      const b = await registerCompany(t, 'B');
      const agent = await registerAgent(t);
      await t.http.put(`/v1/companies/me/certified-agents/${agent.id}`).set(a.auth).expect(200);
      expect(
        (await t.http.get('/v1/companies/me/certified-agents').set(b.auth).expect(200)).body,
      ).toEqual({ items: [], nextCursor: null });
      await t.http.delete(`/v1/companies/me/certified-agents/${agent.id}`).set(b.auth).expect(404);
      expect(
        (await t.http.get('/v1/companies/me/certified-agents').set(a.auth)).body.items,
      ).toHaveLength(1);
    });

    it('pages the certified agents, newest first, each once, the id breaking a tie', async () => {
      const company = await registerCompany(t, 'Paging Co');
      const agents = [];
      for (let i = 0; i < 5; i++) {
        const agent = await registerAgent(t);
        await t.http
          .put(`/v1/companies/me/certified-agents/${agent.id}`)
          .set(company.auth)
          .expect(200);
        agents.push(agent.id);
      }
      // Two pairs certified in one microsecond: only the agent's id orders each pair.
      const tie = ['10:00:00.123456', '08:00:00.000001'];
      for (const [i, time] of [tie[0], tie[0], '09:00:00.5', tie[1], tie[1]].entries()) {
        await t.db.query(
          'UPDATE certifications SET certified_at = $3 WHERE company_id = $1 AND agent_id = $2',
          [company.companyId, agents[i], `2030-04-29T${time}Z`],
        );
      }
      const byId = (x: string, y: string) => (x < y ? 1 : -1);
      const newestFirst = [
        ...agents.slice(0, 2).sort(byId),
        agents[2],
        ...agents.slice(3).sort(byId),
      ];
      const path = '/v1/companies/me/certified-agents';
      // One per page: every step goes through a cursor, ties included.
      expect(await pageAll(t, path, company.auth, 10, 'agentId')).toEqual(newestFirst);
      const first = await t.http.get(`${path}?limit=3`).set(company.auth).expect(200);
      expect(first.body.items).toHaveLength(3);
      const rest = await t.http
        .get(path)
        .query({ limit: 3, cursor: first.body.nextCursor })
        .set(company.auth)
        .expect(200);
      expect(rest.body.nextCursor).toBeNull();
      expect([...first.body.items, ...rest.body.items]).toEqual(
        (await t.http.get(path).set(company.auth).expect(200)).body.items,
      );
    });

    it('refuses a bad cursor or limit on the certified agents, naming the field', async () => {
      const company = await registerCompany(t);
      const forged = Buffer.from(JSON.stringify(['2030-04-29T10:00:00Z'])).toString('base64url');
      for (const [query, field] of [
        ['cursor=nope', 'cursor'],
        [`cursor=${forged}`, 'cursor'],
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
      ]) {
        const res = await t.http
          .get(`/v1/companies/me/certified-agents?${query}`)
          .set(company.auth)
          .expect(400);
        expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
          field,
        ]);
      }
    });

    it('refuses to certify someone who is not an agent', async () => {
      const company = await registerCompany(t);
      await t.http
        .put(`/v1/companies/me/certified-agents/${company.id}`)
        .set(company.auth)
        .expect(404);
      const bad = await t.http
        .put('/v1/companies/me/certified-agents/not-a-uuid')
        .set(company.auth)
        .expect(400);
      expect(bad.body.error.details.fields[0].field).toBe('agentId');
    });
  });
});
