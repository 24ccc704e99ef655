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
   * Whether PostgreSQL knows the zone: its billing periods and statements are computed there,
   * and its tz data (the system's) can lack names Node's ICU still takes (US/Pacific-New).
   */
  async knowsZone(em: EntityManager, zone: string): Promise<boolean> {
    const [row]: { known: boolean }[] = await em.query(
      'SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS known',
      [zone],
    );
    return row.known;
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
