import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The agent side of a user with role `agent`; created with the user at registration. */
@Entity('agents')
export class Agent {
  @PrimaryColumn('uuid')
  userId: string;

  @Column('text')
  displayName: string;

  /** IANA zone: the console shows the agent its times in it (weekly hours are any 168 hours, whatever the zone). */
  @Column('text')
  timeZone: string;

  /** ISO 639-1 codes. */
  @Column('text', { array: true })
  languages: string[];

  @Column('int')
  maxConcurrentTickets: number;

  @Column('timestamptz', { nullable: true })
  suspendedAt: Date | null;

  @Column('text', { nullable: true })
  suspendedReason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('agent_skills')
export class AgentSkill {
  @PrimaryColumn('uuid')
  agentId: string;

  @PrimaryColumn('text')
  skill: string;

  @Column('smallint')
  level: number;
}

@Entity('certifications')
export class Certification {
  @PrimaryColumn('uuid')
  companyId: string;

  @PrimaryColumn('uuid')
  agentId: string;

  @Column('uuid', { nullable: true })
  certifiedBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  certifiedAt: Date;
}
