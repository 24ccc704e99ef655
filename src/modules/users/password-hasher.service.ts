import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as argon2 from 'argon2';
import { Env } from '../../config/env.validation';

/** argon2id with OWASP's minimum profile by default (19 MiB, t=2, p=1). */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private options: argon2.Options & { raw?: false };
  /** Verified against when the email is unknown, so timing does not reveal which emails exist. */
  private decoyHash: string;

  constructor(private readonly config: ConfigService<Env, true>) {}

  async onModuleInit(): Promise<void> {
    this.options = {
      type: argon2.argon2id,
      memoryCost: this.config.get('ARGON2_MEMORY_KIB', { infer: true }),
      timeCost: this.config.get('ARGON2_TIME_COST', { infer: true }),
      parallelism: 1,
    };
    this.decoyHash = await argon2.hash('decoy password never matches', this.options);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /**
   * Whether the hash was made with other settings than today's (ARGON2_MEMORY_KIB and
   * ARGON2_TIME_COST raised since): verified faster than the decoy, it told existing accounts
   * from unknown emails by timing, and it stayed as weak as when it was made.
   */
  isStale(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return false; // not an argon2 hash we can read: verify refused it already
    }
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    try {
      const ok = await argon2.verify(hash ?? this.decoyHash, password);
      return ok && hash !== null;
    } catch {
      return false;
    }
  }
}
