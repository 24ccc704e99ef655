import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Env } from '../../config/env.validation';
import { normalizeEmail } from '../users/users.service';

const AUDIENCE = 'handoff:sign-in-device';
/** The cookies' names: this, then a keyed digest of the account (LoginDevices.cookieName). */
export const DEVICE_COOKIE_PREFIX = 'handoff_device_';
/** How long a browser stays known after its last successful sign-in. */
export const DEVICE_DAYS = 365;

/** An account's name in the slowdown's keys: no email in them. */
export const accountOf = (email: string) =>
  createHash('sha256').update(normalizeEmail(email)).digest('hex');

/**
 * Browsers that signed in to an account before (OWASP's "device cookies"): the per-account
 * sign-in slowdown would otherwise let a stranger keep the owner out, one wrong guess at each
 * turn (about four an hour once the wait is at its cap). A browser holding a token from its own
 * earlier sign-in to the account takes its turns apart from the strangers' (LoginSlowdown), so
 * a guessing campaign slows the guessers, not the owner. The token names the account (hashed)
 * (a keyed digest) and a random device id, signed with a key derived from JWT_SECRET for this
 * alone; it grants nothing but that separate turn, and only with the account's password.
 */
@Injectable()
export class LoginDevices {
  private readonly jwt: JwtService;
  /** Names accounts in tokens and cookie names (keyed: a list of emails does not reverse it). */
  private readonly accountKey: Buffer;

  constructor(config: ConfigService<Env, true>) {
    // Set by start-up when not configured (bootstrap), as for the access tokens.
    const secret = config.get('JWT_SECRET', { infer: true })!;
    const key = createHmac('sha256', secret).update('handoff sign-in device v1').digest();
    this.accountKey = createHmac('sha256', secret).update('handoff sign-in account v1').digest();
    this.jwt = new JwtService({
      secret: key,
      signOptions: { algorithm: 'HS256', audience: AUDIENCE, expiresIn: `${DEVICE_DAYS}d` },
      verifyOptions: { algorithms: ['HS256'], audience: AUDIENCE },
    });
  }

  /**
   * The account's own cookie name: one cookie per account a browser signs in to, so signing in
   * to a second account (or registering one) does not make the browser a stranger to the first.
   */
  cookieName(email: string): string {
    return `${DEVICE_COOKIE_PREFIX}${this.account(email).slice(0, 16)}`;
  }

  /** A token for this browser and account: the device id it had, or a new one. */
  issue(email: string, device = randomBytes(16).toString('hex')): string {
    return this.jwt.sign({ acct: this.account(email), dev: device });
  }

  /** The device id of a valid token issued for this account; null for anything else. */
  deviceOf(token: string | undefined, email: string): string | null {
    if (!token) return null;
    try {
      const { acct, dev } = this.jwt.verify<{ acct?: unknown; dev?: unknown }>(token);
      return acct === this.account(email) && typeof dev === 'string' ? dev : null;
    } catch {
      return null;
    }
  }

  private account(email: string): string {
    return createHmac('sha256', this.accountKey).update(normalizeEmail(email)).digest('hex');
  }
}
