import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrors } from '../../common/http/api-errors';
import { CreateSkillDto, ListSkillsQueryDto, SkillDto } from './skill.dto';
import { SkillsService } from './skills.service';

@ApiTags('skills')
@Controller('v1/skills')
export class SkillsController {
  constructor(private readonly skills: SkillsService) {}

  /** The skill taxonomy, by code. */
  @Get()
  @Roles('agent', 'company_admin', 'finance', 'admin', 'bot')
  @ApiOperation({ operationId: 'listSkills', summary: 'List skills' })
  list(@CurrentActor() actor: Actor, @Query() query: ListSkillsQueryDto): Promise<SkillDto[]> {
    return this.skills.list(actor, query.includeRetired ?? false);
  }

  /** Adds a skill to the taxonomy. */
  @Post()
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ operationId: 'createSkill', summary: 'Add a skill' })
  @ApiErrors('SKILL_EXISTS')
  create(@CurrentActor() actor: Actor, @Body() body: CreateSkillDto): Promise<SkillDto> {
    return this.skills.create(actor, body);
  }

  /**
   * Retires a skill: it stays where it is used but cannot be newly required or claimed. Keyed,
   * as its reinstatement: a retry after a lost answer (the console sends one by itself) never
   * undoes what another admin did meanwhile.
   */
  @Delete(':code')
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ operationId: 'retireSkill', summary: 'Retire a skill' })
  retire(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<SkillDto> {
    return this.skills.setRetired(actor, code, true);
  }

  /** Brings a retired skill back. */
  @Post(':code/reinstate')
  @HttpCode(200)
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ operationId: 'reinstateSkill', summary: 'Reinstate a retired skill' })
  reinstate(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<SkillDto> {
    return this.skills.setRetired(actor, code, false);
  }
}
