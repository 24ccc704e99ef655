import { registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

/** A company's own settings (issue 18): name, time zone, billing period and billing email. */
describe('company settings', () => {
  let t: TestApp;
  let acme: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    acme = await registerCompany(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  it('start as UTC, weekly, no billing email', async () => {
    const res = await t.http.get('/v1/companies/me').set(acme.auth).expect(200);
    expect(res.body).toMatchObject({
      id: acme.companyId,
      name: 'Acme',
      timeZone: 'UTC',
      billingPeriod: 'weekly',
      billingEmail: null,
    });
  });

  it('change only the fields sent; null clears the billing email', async () => {
    await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ timeZone: 'Europe/Berlin', billingEmail: ' billing@acme.test ' })
      .expect(200);
    const monthly = await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ billingPeriod: 'monthly' })
      .expect(200);
    expect(monthly.body).toMatchObject({
      name: 'Acme',
      timeZone: 'Europe/Berlin',
      billingPeriod: 'monthly',
      billingEmail: 'billing@acme.test',
    });
    const cleared = await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ billingEmail: null })
      .expect(200);
    expect(cleared.body.billingEmail).toBeNull();
    const same = await t.http.patch('/v1/companies/me').set(acme.auth).send({}).expect(200);
    expect(same.body).toEqual(cleared.body);
  });

  it('refuse a bad zone, period, email or blank name, naming each field and changing nothing', async () => {
    const before = (await t.http.get('/v1/companies/me').set(acme.auth)).body;
    const res = await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ timeZone: 'Mars/Base', billingPeriod: 'daily', billingEmail: 'nope', name: ' ' })
      .expect(400);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'billingEmail',
      'billingPeriod',
      'name',
      'timeZone',
    ]);
    const nullZone = await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ timeZone: null })
      .expect(400);
    expect(nullZone.body.error.details.fields[0].field).toBe('timeZone');
    // A name Node's ICU still takes but the database's tz data no longer has: the invoicing
    // computes periods there, and would fail for good.
    const retired = await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ timeZone: 'US/Pacific-New', name: 'Renamed meanwhile' })
      .expect(400);
    expect(retired.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'timeZone',
    ]);
    expect((await t.http.get('/v1/companies/me').set(acme.auth)).body).toEqual(before);
    await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ timeZone: 'America/Los_Angeles' })
      .expect(200);
    await t.http.patch('/v1/companies/me').set(acme.auth).send({ timeZone: before.timeZone });
  });

  it('take a zone in any letter case, kept as the database names it', async () => {
    // Node's ICU takes "europe/berlin"; the check against the database's names was by case, so
    // a zone that both take was refused as one "the billing can use" not.
    const before = (await t.http.get('/v1/companies/me').set(acme.auth)).body.timeZone;
    for (const [sent, kept] of [
      ['europe/berlin', 'Europe/Berlin'],
      ['utc', 'UTC'],
      ['AMERICA/NEW_YORK', 'America/New_York'],
    ]) {
      const res = await t.http
        .patch('/v1/companies/me')
        .set(acme.auth)
        .send({ timeZone: sent })
        .expect(200);
      expect(res.body.timeZone).toBe(kept);
    }
    // One the database lacks stays refused in any case.
    const retired = await t.http
      .patch('/v1/companies/me')
      .set(acme.auth)
      .send({ timeZone: 'us/pacific-new' })
      .expect(400);
    expect(retired.body.error.details.fields[0].field).toBe('timeZone');
    await t.http.patch('/v1/companies/me').set(acme.auth).send({ timeZone: before }).expect(200);
  });

  it("never show or change another company's settings", async () => {
    const globex = await registerCompany(t, 'Globex');
    await t.http.patch('/v1/companies/me').set(globex.auth).send({ timeZone: 'Asia/Tokyo' });
    const mine = await t.http.get('/v1/companies/me').set(acme.auth).expect(200);
    expect(mine.body.id).toBe(acme.companyId);
    expect(mine.body.timeZone).not.toBe('Asia/Tokyo');
  });
});
