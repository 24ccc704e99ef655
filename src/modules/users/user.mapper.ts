import type { CompanySummary } from '../companies/companies.service';
import { MeDto, UserDto } from './user.dto';
import { User } from './user.entity';

export function toUserDto(u: User): UserDto {
  return { id: u.id, email: u.email, role: u.role, companyId: u.companyId, createdAt: u.createdAt };
}

export function toMeDto(u: User, company: CompanySummary | null): MeDto {
  return { ...toUserDto(u), company };
}
