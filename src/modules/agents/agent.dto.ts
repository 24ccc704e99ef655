import { IsOmittable } from '../../common/validation/omittable';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO6391,
  IsOptional,
  IsString,
  IsTimeZone,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { Length, MaxLength } from '../../common/validation/text-and-numbers';
import { IsNestedObjects } from '../../common/validation/nested-object';
import { ApiProperty } from '@nestjs/swagger';
import { ApiInteger } from '../../common/http/openapi-property';
import { PageQueryDto } from '../../common/pagination/page.dto';

export class UpdateAgentProfileDto {
  /** @example "Ana P." */
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'displayName must not be blank' })
  displayName: string;

  /**
   * IANA time zone, e.g. Europe/Lisbon.
   * @example Europe/Lisbon
   */
  @IsTimeZone({ message: 'timeZone must be an IANA time zone such as Europe/Lisbon' })
  timeZone: string;

  /**
   * ISO 639-1 codes the agent works in, e.g. ["en", "pt"].
   * @example ["en", "de", "pt"]
   */
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsISO6391({ each: true, message: 'each language must be an ISO 639-1 code such as en' })
  languages: string[];

  /**
   * Tickets the agent handles at once, 1–10 (default 3).
   * @example 3
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10)
  maxConcurrentTickets?: number;
}

/**
 * A partial change: only the fields sent change, each validated as in the PUT; an empty body
 * changes nothing. `null` is refused (every field has a value).
 */
export class PatchAgentProfileDto {
  /** @example "Ana Pereira" */
  @IsOmittable()
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'displayName must not be blank' })
  displayName?: string;

  /**
   * IANA time zone, e.g. Europe/Lisbon.
   * @example Europe/Berlin
   */
  @IsOmittable()
  @IsTimeZone({ message: 'timeZone must be an IANA time zone such as Europe/Lisbon' })
  timeZone?: string;

  /**
   * ISO 639-1 codes the agent works in; replaces the whole list.
   * @example ["en", "de"]
   */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsISO6391({ each: true, message: 'each language must be an ISO 639-1 code such as en' })
  languages?: string[];

  /**
   * Tickets the agent handles at once, 1–10.
   * @example 4
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10)
  maxConcurrentTickets?: number;
}

export class AgentProfileDto {
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example "Ana P." */
  displayName: string;
  /** @example Europe/Lisbon */
  timeZone: string;
  /** @example ["en", "de", "pt"] */
  languages: string[];
  /** @example 3 */
  @ApiInteger()
  maxConcurrentTickets: number;
  /**
   * Set while an admin has suspended the agent (null otherwise): no seats, no tickets.
   * @example 2030-05-20T16:00:00.000Z
   */
  suspendedAt: Date | null;
  /** @example "Repeated no-shows this month" */
  suspendedReason: string | null;
}

export class AgentSkillDto {
  /**
   * A skill code from /v1/skills.
   * @example chargebacks
   */
  @IsString()
  @Length(1, 40)
  skill: string;

  /**
   * 1 (basic) to 5 (expert).
   * @example 4
   */
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(5)
  level: number;
}

export class ReplaceAgentSkillsDto {
  /** The agent's whole skill set; replaces what was there. */
  @IsArray()
  @ArrayMaxSize(50)
  @IsNestedObjects(() => AgentSkillDto)
  skills: AgentSkillDto[];
}

export class AgentSkillsDto {
  skills: AgentSkillDto[];
}

export class SuspendAgentDto {
  /**
   * Why, for the record and for the agent.
   * @example "Repeated no-shows this month"
   */
  @IsString()
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class CertifiedAgentDto {
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example "Ana P." */
  displayName: string;
  /** @example 2030-04-29T10:00:00.000Z */
  certifiedAt: Date;
}

export class ListCertifiedAgentsQueryDto extends PageQueryDto {}

export class CertifiedAgentPageDto {
  items: CertifiedAgentDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA0LTI5VDEwOjAwOjAwLjAwMDAwMFoiLCIzZjJiOGMxZS01ZDRhLTRlN2YtOWI2Yy0yYTFkMGU5ZjhjN2IiXQ
   */
  nextCursor: string | null;
}

export class AgentCertificationDto {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string;
  /** @example 2030-04-29T10:00:00.000Z */
  certifiedAt: Date;
}

export class AgentDirectoryQueryDto extends PageQueryDto {
  /**
   * Agents whose display name contains this (any case) or whose email starts with it.
   * @example ana
   */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'q must not be blank' })
  q?: string;

  /** `active` or `suspended` only (default both). */
  @IsOptional()
  @IsIn(['active', 'suspended'])
  @ApiProperty({ enum: ['active', 'suspended'], required: false })
  status?: 'active' | 'suspended';
}

/** An agent as staff see it: the profile, with the email and when the agent signed up. */
export class AgentDirectoryEntryDto extends AgentProfileDto {
  /** @example ana.p@mail.test */
  email: string | null;
  /** @example 2030-04-28T13:55:02.000Z */
  createdAt: Date;
}

export class AgentDirectoryPageDto {
  items: AgentDirectoryEntryDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyJBbmEgUC4iLCIzZjJiOGMxZS01ZDRhLTRlN2YtOWI2Yy0yYTFkMGU5ZjhjN2IiXQ
   */
  nextCursor: string | null;
  /**
   * True when more agents' emails start with `q` than a search takes (200, the first by email):
   * the others are listed only if their name matches. Type more of the email to find them.
   * @example false
   */
  emailMatchesLimited: boolean;
}
