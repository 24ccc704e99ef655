import { DataSource, EntityManager } from 'typeorm';

/**
 * The plan of the statement `read` makes, instead of its rows: `read` is given a manager whose
 * `query` EXPLAINs (and answers one empty row). Sequential scans are priced out, since a test's
 * few rows would be read whole anyway: the plan says whether an index can serve the statement.
 */
export const planOf = (
  db: DataSource,
  read: (em: EntityManager) => Promise<unknown>,
): Promise<string> =>
  db.transaction(async (em) => {
    await em.query('SET LOCAL enable_seqscan = off');
    let plan = '';
    const explaining = Object.create(em, {
      query: {
        value: async (sql: string, params?: unknown[]) => {
          const rows: { 'QUERY PLAN': string }[] = await em.query(`EXPLAIN ${sql}`, params);
          plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          return [{}];
        },
      },
    }) as EntityManager;
    await read(explaining);
    return plan;
  });
