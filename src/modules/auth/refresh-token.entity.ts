import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One link in a rotation chain. All tokens descending from one login share a family; presenting
 * an already-used token revokes the whole family (it was stolen, or the client is confused).
 */
@Entity('refresh_tokens')
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @Column('uuid')
  familyId: string;

  @Column('text', { select: false })
  tokenHash: string;

  @Column('timestamptz')
  expiresAt: Date;

  @Column('timestamptz', { nullable: true })
  usedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  /** When its login began (the family's first token): it ends REFRESH_SESSION_MAX_DAYS on. */
  @Column('timestamptz')
  loginAt: Date;

  /**
   * When the login last proved its password: its sign-in, or a reauthentication since. Access
   * tokens carry it (auth_time) for the routes that want a recent one (RecentSignIn).
   */
  /** The epoch by default: never proved lately (migration LoginAuthenticatedAt). */
  @Column('timestamptz', { default: () => "'epoch'" })
  authenticatedAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
