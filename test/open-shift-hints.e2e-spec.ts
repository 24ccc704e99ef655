import { createStaff, registerAgent, registerCompany, SignedIn } from './support/factories';
import { inMinutes, moveShift, postShift, setProfile } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';

/*
 * An empty open-shifts list says why (issue 13): the first page, when empty, carries hints. This
 * file has its own database, so the counts below are exact.
 */

interface Hint {
  code: string;
  message: string;
  count: number | null;
}

describe('open shifts: hints on an empty first page', () => {
  let t: TestApp;
  let acme: SignedIn;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    acme = await registerCompany(t, 'Acme');
    admin = await createStaff(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
  });

  const open = async (agent: SignedIn, query = 'limit=100') =>
    (await t.http.get(`/v1/shifts/open?${query}`).set(agent.auth).expect(200)).body as {
      items: { id: string }[];
      nextCursor: string | null;
      hints: Hint[];
      ineligible?: unknown[];
    };
  const codes = (hints: Hint[]) => hints.map((h) => [h.code, h.count]);

  it('tells a new agent that nothing is open and what its profile lacks', async () => {
    const body = await open(await registerAgent(t));
    expect(body.items).toEqual([]);
    expect(codes(body.hints)).toEqual([
      ['NO_LANGUAGES', null],
      ['NO_SKILLS', null],
      ['NO_OPEN_SHIFTS', null],
    ]);
    for (const hint of body.hints) expect(hint.message).toEqual(expect.any(String));
  });

  describe('with open shifts the agent cannot take', () => {
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      // One shift per missing qualification, one missing two, and one the agent could take but
      // is full; a past, a cancelled and a closing one count for nothing.
      ids.language = (await postShift(t, acme, { languages: ['pt'] })).id;
      ids.skill = (
        await postShift(t, acme, { requiredSkills: [{ skill: 'fraud', minLevel: 2 }] })
      ).id;
      ids.certification = (await postShift(t, acme, { requiresCertification: true })).id;
      ids.two = (
        await postShift(t, acme, {
          languages: ['de'],
          requiredSkills: [{ skill: 'billing', minLevel: 1 }],
        })
      ).id;
      ids.full = (await postShift(t, acme, { seats: 1, languages: ['pt'] })).id;
      const holder = await registerAgent(t);
      await setProfile(t, holder, { languages: ['pt'] });
      await t.http.post(`/v1/shifts/${ids.full}/claims`).set(holder.auth).expect(201);
      const cancelled = await postShift(t, acme);
      await t.http.post(`/v1/shifts/${cancelled.id}/cancel`).set(acme.auth).send({}).expect(200);
      const closing = await postShift(t, acme);
      await moveShift(t, closing.id, inMinutes(-60), inMinutes(20)); // 20 min left: closed
    });

    it('counts the open shifts and those that miss only a language, a skill or a certification', async () => {
      const agent = await registerAgent(t);
      await setProfile(t, agent, { languages: ['en'], skills: [{ skill: 'refunds', level: 3 }] });
      const body = await open(agent);
      expect(body.items).toEqual([]);
      expect(codes(body.hints)).toEqual([
        ['NOT_ELIGIBLE', 4],
        ['MISSING_LANGUAGE', 1],
        ['MISSING_SKILL', 1],
        ['NOT_CERTIFIED', 1],
      ]);
      expect(body.hints[0].message).toBe(
        '4 shifts are open for claims, none that you are eligible for',
      );
    });

    it('points to full shifts the agent is eligible for (includeFull=true, the waitlist)', async () => {
      const agent = await registerAgent(t);
      await setProfile(t, agent, { languages: ['pt'] });
      const body = await open(agent);
      // It may take the pt shift: the list is not empty, so no hints.
      expect(body.items.map((s) => s.id)).toEqual([ids.language]);
      expect(body.hints).toEqual([]);
      await t.http.post(`/v1/shifts/${ids.language}/claims`).set(agent.auth).expect(201);
      const after = await open(agent);
      expect(after.items).toEqual([]);
      expect(codes(after.hints)).toEqual([
        ['NO_SKILLS', null],
        ['NOT_ELIGIBLE', 3],
        ['MISSING_SKILL', 1],
        ['NOT_CERTIFIED', 1],
        ['ALREADY_HELD', 1],
        ['ELIGIBLE_FULL', 1],
      ]);
      // With full shifts listed, the full one shows, and no hint is needed.
      const withFull = await open(agent, 'limit=100&includeFull=true');
      expect(withFull.items.map((s) => s.id)).toEqual([ids.full]);
      expect(withFull.hints).toEqual([]);
    });

    it('says only that the agent is suspended, when it is', async () => {
      const agent = await registerAgent(t);
      await setProfile(t, agent, { languages: ['pt'] });
      await t.http
        .post(`/v1/agents/${agent.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'review' })
        .expect(200);
      const body = await open(agent);
      expect(body.items).toEqual([]);
      expect(codes(body.hints)).toEqual([['SUSPENDED', null]]);
    });

    it('gives no hints past the first page', async () => {
      const agent = await registerAgent(t);
      await setProfile(t, agent, { languages: ['pt'] });
      const first = await open(agent, 'limit=1');
      expect(first.items).toHaveLength(1);
      expect(first.hints).toEqual([]);
      const last = [inMinutes(10 * 24 * 60).toISOString(), crypto.randomUUID()];
      const cursor = Buffer.from(JSON.stringify(last)).toString('base64url');
      const later = await open(agent, `cursor=${cursor}`);
      expect(later.items).toEqual([]);
      expect(later.hints).toEqual([]);
    });

    it('include=ineligible lists the next 7 days’ shifts the agent cannot take, with the reasons', async () => {
      const agent = await registerAgent(t);
      await setProfile(t, agent, { languages: ['en'], skills: [{ skill: 'refunds', level: 3 }] });
      // Beyond the 7 days: not listed.
      const far = inMinutes(8 * 24 * 60);
      const later = await postShift(t, acme, {
        languages: ['pt'],
        startsAt: far.toISOString(),
        endsAt: new Date(far.getTime() + 4 * 3_600_000).toISOString(),
      });
      const body = (
        await t.http.get('/v1/shifts/open?limit=100&include=ineligible').set(agent.auth).expect(200)
      ).body as { ineligible: { id: string; reasons: unknown[]; seatsLeft: number }[] };
      expect(body.ineligible.map((s) => [s.id, s.reasons])).toEqual([
        [ids.language, [{ code: 'MISSING_LANGUAGE', language: 'pt' }]],
        [ids.skill, [{ code: 'MISSING_SKILL', skill: 'fraud', minLevel: 2 }]],
        [ids.certification, [{ code: 'NOT_CERTIFIED', companyId: acme.companyId }]],
        [
          ids.two,
          [
            { code: 'MISSING_SKILL', skill: 'billing', minLevel: 1 },
            { code: 'MISSING_LANGUAGE', language: 'de' },
          ],
        ],
        // Full too: what the agent lacks is still worth knowing.
        [ids.full, [{ code: 'MISSING_LANGUAGE', language: 'pt' }]],
      ]);
      // Not asked, or past the first page: not answered.
      expect((await open(agent)).ineligible).toBeUndefined();
      const cursor = Buffer.from(
        JSON.stringify([new Date().toISOString(), crypto.randomUUID()]),
      ).toString('base64url');
      const next = await t.http
        .get(`/v1/shifts/open?include=ineligible&cursor=${cursor}`)
        .set(agent.auth)
        .expect(200);
      expect(next.body.ineligible).toBeUndefined();
      const bad = await t.http
        .get('/v1/shifts/open?include=everything')
        .set(agent.auth)
        .expect(400);
      expect(bad.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'include',
      ]);
      await t.http.post(`/v1/shifts/${later.id}/cancel`).set(acme.auth).send({}).expect(200);
    });
  });

  it('documents the hints in OpenAPI, with every code', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const page = doc.components.schemas.OpenShiftPageDto;
    expect(page.required).toEqual(expect.arrayContaining(['items', 'nextCursor', 'hints']));
    const hint = doc.components.schemas.OpenShiftsHintDto;
    expect(hint.properties.code.enum).toEqual([
      'SUSPENDED',
      'NO_LANGUAGES',
      'NO_SKILLS',
      'NO_OPEN_SHIFTS',
      'NOT_ELIGIBLE',
      'MISSING_LANGUAGE',
      'MISSING_SKILL',
      'NOT_CERTIFIED',
      'QUALITY_TOO_LOW',
      'ALREADY_HELD',
      'ELIGIBLE_FULL',
    ]);
    expect(Object.keys(hint.properties).sort()).toEqual(['code', 'count', 'message']);
  });
});

describe('open shifts: the shifts an agent cannot take, past a hundred it can', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists a shift the agent cannot take though a hundred it can start sooner', async () => {
    const company = await registerCompany(t, 'Busy Desk');
    const agent = await registerAgent(t);
    await setProfile(t, agent, { languages: ['en'], skills: [{ skill: 'refunds', level: 3 }] });
    for (let i = 0; i < 100; i++) {
      await postShift(t, company, {
        languages: ['en'],
        startsAt: inMinutes(60 + i).toISOString(),
        endsAt: inMinutes(180 + i).toISOString(),
      });
    }
    const inThreeDays = inMinutes(3 * 24 * 60);
    const portuguese = await postShift(t, company, {
      languages: ['pt'],
      startsAt: inThreeDays.toISOString(),
      endsAt: new Date(inThreeDays.getTime() + 4 * 3_600_000).toISOString(),
    });
    const body = (
      await t.http.get('/v1/shifts/open?limit=1&include=ineligible').set(agent.auth).expect(200)
    ).body as { ineligible: { id: string }[] };
    // The first 100 upcoming shifts were read and then filtered: all takeable, none listed.
    expect(body.ineligible.map((s) => s.id)).toEqual([portuguese.id]);
  });
});
