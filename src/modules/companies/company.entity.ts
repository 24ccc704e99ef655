import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

import type { BillingPeriod } from './billing-period';

@Entity('companies')
export class Company {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** IANA zone: the company's billing periods close at midnight here. */
  @Column('text')
  timeZone: string;

  @Column('text')
  billingPeriod: BillingPeriod;

  /** Where invoices go (null: to the admin's email). */
  @Column('text', { nullable: true })
  billingEmail: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
