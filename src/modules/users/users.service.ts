import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, UserRole } from '../../common/auth/actor';
import { requireUser } from '../../common/auth/access';
import { DomainError } from '../../common/errors/domain-error';
import { Company } from '../companies/company.entity';
import { PasswordHasher } from './password-hasher.service';
import { MeDto, UserDto } from './user.dto';
import { User } from './user.entity';

export interface NewUser {
  email: string;
  passwordHash: string;
  role: UserRole;
  companyId: string | null;
}

export interface Credentials {
  id: string;
  role: UserRole;
  companyId: string | null;
  passwordHash: string;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function toUserDto(u: User): UserDto {
  return { id: u.id, email: u.email, role: u.role, companyId: u.companyId, createdAt: u.createdAt };
}

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Inserts within the caller's transaction; uq_users_email turns a duplicate into EMAIL_TAKEN. */
  insert(em: EntityManager, user: NewUser): Promise<User> {
    return em.save(em.create(User, { ...user, email: normalizeEmail(user.email) }));
  }

  async findCredentials(email: string): Promise<Credentials | null> {
    const user = await this.db
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: normalizeEmail(email) })
      .getOne();
    return user;
  }

  async findById(id: string): Promise<User | null> {
    return this.db.getRepository(User).findOneBy({ id });
  }

  async getMe(actor: Actor): Promise<MeDto> {
    const { userId } = requireUser(actor);
    const user = await this.findById(userId);
    if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
    const company = user.companyId
      ? await this.db.getRepository(Company).findOneBy({ id: user.companyId })
      : null;
    return { ...toUserDto(user), company: company && { id: company.id, name: company.name } };
  }

  /** Finance and admin staff exist only through the CLI; see `npm run cli -- users:create`. */
  async createStaff(email: string, password: string, role: 'finance' | 'admin'): Promise<UserDto> {
    const passwordHash = await this.hasher.hash(password);
    const user = await this.db.transaction((em) =>
      this.insert(em, { email, passwordHash, role, companyId: null }),
    );
    return toUserDto(user);
  }
}
