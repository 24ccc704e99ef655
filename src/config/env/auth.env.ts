import { Transform } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { SECRET_KEY_LIST_PATTERN, SECRET_KEY_PATTERN } from '../../common/crypto/secret-box';
import type { Env } from '../env.validation';
import { DatabaseEnv } from './database.env';
import { toInt } from './transforms';

/** Secrets (signing and encryption keys), token lifetimes and password hashing. */
export class AuthEnv extends DatabaseEnv {
  @ValidateIf((env: Env) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString({ message: 'JWT_SECRET is required when NODE_ENV=production' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  /**
   * Encrypts secrets kept at rest (webhook signing secrets): 32 random bytes as 64 hex
   * characters or base64 (`openssl rand -base64 32`). Required in production; elsewhere
   * generated once into .data/ when unset.
   */
  @ValidateIf(
    (env: Env) => env.NODE_ENV === 'production' || env.SECRETS_ENCRYPTION_KEY !== undefined,
  )
  @Matches(SECRET_KEY_PATTERN, {
    message:
      'SECRETS_ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64; required in production',
  })
  SECRETS_ENCRYPTION_KEY?: string;

  /** Keys being rotated out, comma-separated: they only decrypt (see docs/operations.md). */
  @IsOptional()
  @Matches(SECRET_KEY_LIST_PATTERN, {
    message: 'SECRETS_ENCRYPTION_KEY_PREVIOUS must be a comma-separated list of such keys',
  })
  SECRETS_ENCRYPTION_KEY_PREVIOUS?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(3600)
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  REFRESH_TOKEN_TTL_DAYS = 30;

  /**
   * A login (a refresh token's chain) ends this many days after the sign-in, however often it
   * is refreshed: a stolen chain kept in use is cut off, and the user signs in again.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  REFRESH_SESSION_MAX_DAYS = 90;

  /**
   * Routes that hand out lasting access (an API key, a webhook's address or secret, a payout
   * account's onboarding) want the password proven this recently, at the sign-in or again
   * (POST /v1/auth/reauthenticate): a stolen access token or refresh cookie alone cannot take
   * them once that long has passed.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  RECENT_SIGN_IN_MINUTES = 10;

  /**
   * A used refresh token presented again this soon, while its chain has not moved on, gets a new
   * token instead of signing the login out (0: never). It covers an answer lost on the way: a
   * reload during a refresh, or the console's 15 s timeout and 15 s retry.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  REFRESH_TOKEN_REUSE_GRACE_SECONDS = 60;

  /**
   * How long an API process trusts a bot key it verified before reading it again (0: never
   * cache). A revocation evicts it at once in every process (Redis pub/sub); this bounds the
   * delay when that message is lost.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  API_KEY_CACHE_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  ARGON2_MEMORY_KIB = 19456;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ARGON2_TIME_COST = 2;
}
