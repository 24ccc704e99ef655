import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { Transform } from 'class-transformer';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { CreateSkillDto, SkillDto } from './skill.dto';
import { SkillsService } from './skills.service';

export class ListSkillsQueryDto {
  /** Include retired skills (default false). */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeRetired?: boolean;
}

@ApiTags('skills')
@ApiBearerAuth('user')
@Controller('v1/skills')
export class SkillsController {
  constructor(private readonly skills: SkillsService) {}

  /** The skill taxonomy, by code. */
  @Get()
  @Roles('agent', 'company_admin', 'finance', 'admin', 'bot')
  list(@CurrentActor() actor: Actor, @Query() query: ListSkillsQueryDto): Promise<SkillDto[]> {
    return this.skills.list(actor, query.includeRetired ?? false);
  }

  /** Adds a skill to the taxonomy. */
  @Post()
  @Roles('admin')
  create(@CurrentActor() actor: Actor, @Body() body: CreateSkillDto): Promise<SkillDto> {
    return this.skills.create(actor, body);
  }

  /** Retires a skill: it stays where it is used but cannot be newly required or claimed. */
  @Delete(':code')
  @Roles('admin')
  retire(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<SkillDto> {
    return this.skills.setRetired(actor, code, true);
  }

  /** Brings a retired skill back. */
  @Post(':code/reinstate')
  @HttpCode(200)
  @Roles('admin')
  reinstate(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<SkillDto> {
    return this.skills.setRetired(actor, code, false);
  }
}
