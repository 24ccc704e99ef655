import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Company } from './company.entity';

/** `companies`. */
@Injectable()
export class CompaniesRepository {
  insert(em: EntityManager, name: string): Promise<Company> {
    return em.save(em.create(Company, { name }));
  }

  findById(em: EntityManager, id: string): Promise<Company | null> {
    return em.getRepository(Company).findOneBy({ id });
  }

  /**
   * The zone as PostgreSQL names it, or null when it does not know it: its billing periods and
   * statements are computed there, and its tz data (the system's) can lack names Node's ICU
   * still takes (US/Pacific-New). Matched regardless of case, as both ICU and PostgreSQL take a
   * zone's name, so "europe/berlin" is kept as Europe/Berlin (ASCII case, whatever the
   * database's locale: a Turkish one lowers I to a dotless ı).
   */
  async zoneNamed(em: EntityManager, zone: string): Promise<string | null> {
    const [row]: { name: string }[] = await em.query(
      `SELECT name FROM pg_timezone_names
        WHERE lower(name COLLATE "C") = lower($1 COLLATE "C")
        ORDER BY name = $1 DESC, name LIMIT 1`,
      [zone],
    );
    return row?.name ?? null;
  }

  async update(em: EntityManager, id: string, changes: Partial<Company>): Promise<void> {
    await em.getRepository(Company).update({ id }, changes);
  }

  /** Locks the company's row (FOR UPDATE) until the transaction ends. */
  lockForUpdate(em: EntityManager, id: string): Promise<Company | null> {
    return em
      .getRepository(Company)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  names(em: EntityManager, ids: string[]): Promise<{ id: string; name: string }[]> {
    return em.query('SELECT id, name FROM companies WHERE id = ANY($1)', [ids]);
  }
}
