import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('skills')
export class Skill {
  @PrimaryColumn('text')
  code: string;

  @Column('text')
  name: string;

  /** Retired skills stay on existing profiles and shifts but cannot be newly used. */
  @Column('timestamptz', { nullable: true })
  retiredAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
