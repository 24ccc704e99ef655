import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Matches, ValidateIf } from 'class-validator';
import { Length, MaxLength } from '../../common/validation/text-and-numbers';
import { NoInvisibleCharacters, NoUnreadableCharacters } from '../../common/validation/credentials';
import { ApiInteger } from '../../common/http/openapi-property';
import { UserDto } from '../users/user.dto';

export const SELF_SERVICE_ROLES = ['agent', 'company_admin'] as const;
export type SelfServiceRole = (typeof SELF_SERVICE_ROLES)[number];

export class RegisterDto {
  /** @example ana@acme.test */
  @IsEmail({}, { message: 'email must be a valid email address' })
  @NoInvisibleCharacters('email')
  @MaxLength(254)
  email: string;

  /**
   * 12 to 128 characters.
   * @example "correct horse battery staple"
   */
  @IsString()
  @Length(12, 128, { message: 'password must be 12 to 128 characters long' })
  @Matches(/\S/, { message: 'password must not be blank' })
  @NoUnreadableCharacters('password')
  password: string;

  /**
   * Finance and admin accounts are created from the command line only.
   * @example company_admin
   */
  @ApiProperty({ enum: SELF_SERVICE_ROLES })
  @IsIn(SELF_SERVICE_ROLES, { message: 'role must be agent or company_admin' })
  role: SelfServiceRole;

  /**
   * Required for company_admin (creates the company); must be absent for agents.
   * @example "Acme Support"
   */
  @ValidateIf((o: RegisterDto) => o.role === 'company_admin' || o.companyName !== undefined)
  @IsString()
  @MaxLength(200)
  @Matches(/\S/, { message: 'companyName must not be blank' })
  companyName?: string;
}

export class LoginDto {
  /** @example ana@acme.test */
  @IsString()
  @MaxLength(254)
  email: string;

  /** @example "correct horse battery staple" */
  @IsString()
  @MaxLength(128)
  password: string;
}

export class RefreshDto {
  /**
   * The refresh token from sign-in or the last refresh.
   * @example 6d1f0b7e-2a4c-4e8b-9f3d-5c7a1e9b2d40.Jk2Vb9Qx4Lm7Rt1Wz8Yp3Ns6Hc0Fd5Ga2Ue8Io4Kq1
   */
  @IsString()
  @MaxLength(200)
  refreshToken: string;
}

export class TokensDto {
  /**
   * JWT for `Authorization: Bearer …`; lives 15 minutes.
   * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwZjhmYWQ1Yi1kOWNiLTQ2OWYtYTE2NS03MDg2NzcyODk1MGUiLCJyb2xlIjoiY29tcGFueV9hZG1pbiJ9.Qm9vZ2llV29vZ2llQm9vZ2llV29vZ2llQm9vZ2ll
   */
  accessToken: string;
  /**
   * Exchange at /v1/auth/refresh; each one works once.
   * @example 6d1f0b7e-2a4c-4e8b-9f3d-5c7a1e9b2d40.Jk2Vb9Qx4Lm7Rt1Wz8Yp3Ns6Hc0Fd5Ga2Ue8Io4Kq1
   */
  refreshToken: string;
  /**
   * Seconds until the access token expires.
   * @example 900
   */
  @ApiInteger()
  expiresIn: number;
  /** @example Bearer */
  tokenType: 'Bearer';
}

export class RegisteredDto extends TokensDto {
  user: UserDto;
}

/**
 * A reauthentication's answer: a new pair of the login, saying the password was given now (the
 * refresh token held before works until either is used: the first used revokes the other).
 */
export class ReauthenticatedDto extends TokensDto {
  user: UserDto;
}
