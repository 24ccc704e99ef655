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
