import { createApiKey, registerCompany } from './support/factories';
import { createTestApp, type TestApp } from './support/test-app';
import { escalate } from './support/tickets';

/**
 * Intake's statement is a named prepared statement (issue 20). A prepared plan whose result
 * changes shape fails ("cached plan must not change result type"), so a migration adding a
 * column to tickets while processes run must not break intake: its result names its columns.
 */
describe('intake as a prepared statement', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps answering across a migration that adds a column to tickets', async () => {
    const company = await registerCompany(t, 'Prepared Co');
    const key = await createApiKey(t, company);
    // Enough in a row that every pooled connection has prepared it (the pool holds 10).
    for (let i = 0; i < 25; i++) await escalate(t, key);
    await t.db.query(`ALTER TABLE tickets ADD COLUMN later_note text`);
    try {
      for (let i = 0; i < 25; i++) await escalate(t, key);
    } finally {
      await t.db.query(`ALTER TABLE tickets DROP COLUMN later_note`);
    }
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM tickets WHERE company_id = $1`,
      [company.companyId],
    );
    expect(n).toBe(50);
  });
});
