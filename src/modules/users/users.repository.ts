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
}
