export const USER_ROLES = ['agent', 'company_admin', 'finance', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
/** A company's bot calling with an API key; granted only where a route lists it. */
export type Role = UserRole | 'bot';

export interface UserActor {
  kind: 'user';
  role: UserRole;
  userId: string;
  companyId: string | null;
  /**
   * The verified access token's expiry (ms since the epoch) and issue time (epoch seconds), as
   * the JWT strategy read them: an event stream ends at the expiry. Its login (`sid`) and when
   * that login last proved the password (ms since the epoch), null on tokens signed before
   * either was named. Absent on an actor made in code.
   */
  token?: {
    expiresAt: number;
    issuedAt: number | null;
    loginId: string | null;
    authenticatedAt: number | null;
  };
}

export interface BotActor {
  kind: 'bot';
  role: 'bot';
  companyId: string;
  apiKeyId: string;
}

/** Who is calling; every service method takes it first and checks access itself. */
export type Actor = UserActor | BotActor;
