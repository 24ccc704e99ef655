import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { User } from './user.entity';

/** The fields of a new user; the rest are the database's defaults. */
export type NewUserRow = Pick<User, 'email' | 'passwordHash' | 'role' | 'companyId'>;

/** `users`. */
@Injectable()
export class UsersRepository {
  /** uq_users_email turns a duplicate (case-insensitively) into a 23505. */
  insert(em: EntityManager, user: NewUserRow): Promise<User> {
    return em.save(em.create(User, user));
  }

  /** The user with this (already normalised) email, password hash included. */
  withPasswordHashByEmail(em: EntityManager, email: string): Promise<User | null> {
    return em
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
  }

  /** The user's password hash (a column no other read selects). */
  async passwordHashOf(em: EntityManager, id: string): Promise<string | null> {
    const rows: { password_hash: string }[] = await em.query(
      'SELECT password_hash FROM users WHERE id = $1',
      [id],
    );
    return rows[0]?.password_hash ?? null;
  }

  /**
   * Sets the hash; with `was`, only if the hash is still that one (compare and set: a rehash at
   * sign-in, a password change). False when no row was changed.
   */
  async setPasswordHash(
    em: EntityManager,
    id: string,
    passwordHash: string,
    was?: string,
  ): Promise<boolean> {
    const result = await em
      .getRepository(User)
      .update(was === undefined ? { id } : { id, passwordHash: was }, { passwordHash });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Whether the user's hash is still `hash`, read FOR SHARE: a password set or changed after
   * this read waits for the caller's commit (and then ends what it issued), and one committed
   * before it shows here.
   */
  async hashStill(em: EntityManager, id: string, hash: string): Promise<boolean> {
    const rows: { same: boolean }[] = await em.query(
      'SELECT password_hash = $2 AS same FROM users WHERE id = $1 FOR SHARE',
      [id, hash],
    );
    return rows[0]?.same === true;
  }

  findById(em: EntityManager, id: string): Promise<User | null> {
    return em.getRepository(User).findOneBy({ id });
  }

  /**
   * Emails of these users, in one statement with one array parameter: a payout run's 50,000
   * agents would overflow an IN list's 65,535 bind parameters, and hydrating entities costs
   * more than the query.
   */
  emailsOf(em: EntityManager, ids: string[]): Promise<{ id: string; email: string }[]> {
    return em.query('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [ids]);
  }

  /** The email of the company's first admin (the one who signed it up), if any. */
  async adminEmailOf(em: EntityManager, companyId: string): Promise<string | null> {
    const rows: { email: string }[] = await em.query(
      `SELECT email FROM users WHERE company_id = $1 AND role = 'company_admin'
        ORDER BY created_at, id LIMIT 1`,
      [companyId],
    );
    return rows[0]?.email ?? null;
  }

  /** Ids of users of a role whose (lower-case) email starts with `prefix`, at most `limit`. */
  async idsWithEmailPrefix(
    em: EntityManager,
    prefix: string,
    role: string,
    limit: number,
  ): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT id FROM users WHERE role = $2 AND left(email, length($1)) = $1
        ORDER BY email LIMIT $3`,
      [prefix, role, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Staff (finance and admin users, or one of the two roles), by role then email. */
  staff(em: EntityManager, roles: string[]): Promise<User[]> {
    return em
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.role = ANY(:roles)', { roles })
      .orderBy('u.role')
      .addOrderBy('u.email')
      .getMany();
  }
}
