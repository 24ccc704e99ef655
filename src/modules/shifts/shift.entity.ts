import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintMoney } from '../../common/money/money.dto';
import type { ShiftStatus } from './shift-rules';

/** numeric comes back from pg as a string. */
const nullableNumber = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

@Entity('shifts')
export class Shift {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  companyId: string;

  @Column('text', { nullable: true })
  title: string | null;

  @Column('timestamptz')
  startsAt: Date;

  @Column('timestamptz')
  endsAt: Date;

  @Column('int')
  seats: number;

  /** Seats used by claims that are claimed, checked in or completed. */
  @Column('int')
  seatsTaken: number;

  @Column('text', { array: true })
  languages: string[];

  @Column('bigint', { transformer: bigintMoney })
  rateAmountMinor: number;

  @Column('char', { length: 3 })
  rateCurrency: string;

  @Column('boolean')
  requiresCertification: boolean;

  @Column('int')
  checkInGraceMinutes: number;

  /** pull: agents claim (claim-next, claim by id); push: the router offers tickets. */
  @Column('text')
  routing: 'pull' | 'push';

  @Column('int')
  offerSeconds: number;

  @Column('int', { nullable: true })
  maxAwayMinutes: number | null;

  /** Agents below this quality score (0–1) may not take a seat. */
  @Column('numeric', { nullable: true, transformer: nullableNumber })
  minQuality: number | null;

  /** For this long after posting, only agents at or above earlyAccessMinQuality see it. */
  @Column('int', { nullable: true })
  earlyAccessHours: number | null;

  @Column('numeric', { nullable: true, transformer: nullableNumber })
  earlyAccessMinQuality: number | null;

  /** Surge (all three or none, ck_shifts_surge): the highest multiplier in basis points. */
  @Column('int', { nullable: true })
  surgeMaxMultiplierBps: number | null;

  @Column('int', { nullable: true })
  surgeOpenTicketsPerAgent: number | null;

  @Column('bigint', { nullable: true, transformer: bigintMoney })
  surgeBudgetMinor: number | null;

  @Column('text')
  status: ShiftStatus;

  @Column('timestamptz', { nullable: true })
  cancelledAt: Date | null;

  @Column('text', { nullable: true })
  cancelReason: string | null;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('shift_required_skills')
export class ShiftRequiredSkill {
  @PrimaryColumn('uuid')
  shiftId: string;

  @PrimaryColumn('text')
  skill: string;

  @Column('smallint')
  minLevel: number;
}
