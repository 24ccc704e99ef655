import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { ApiErrors } from '../../common/http/api-errors';
import {
  AgentCertificationDto,
  AgentDirectoryPageDto,
  AgentDirectoryQueryDto,
  AgentProfileDto,
  AgentSkillsDto,
  CertifiedAgentDto,
  CertifiedAgentPageDto,
  ListCertifiedAgentsQueryDto,
  PatchAgentProfileDto,
  ReplaceAgentSkillsDto,
  SuspendAgentDto,
  UpdateAgentProfileDto,
} from './agent.dto';
import { AgentDirectory } from './agent-directory.service';
import { AgentSuspensionService } from './agent-suspension.service';
import { AgentsService } from './agents.service';
import { CertificationRevocationService } from './certification-revocation.service';
import { CertificationsService } from './certifications.service';
import { Idempotent } from '../idempotency/idempotent.decorator';

@ApiTags('agents')
@Controller('v1/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly certifications: CertificationsService,
    private readonly suspension: AgentSuspensionService,
    private readonly directory: AgentDirectory,
  ) {}

  /**
   * The agents, by display name: an admin finds one to suspend or reinstate, finance one to
   * adjust. `q` matches a part of the name or the start of the email.
   */
  @Get()
  @Roles('admin', 'finance')
  @ApiOperation({ operationId: 'listAgents', summary: 'Find agents by name or email' })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: AgentDirectoryQueryDto,
  ): Promise<AgentDirectoryPageDto> {
    return this.directory.search(actor, query);
  }

  @Get('me/profile')
  @Roles('agent')
  @ApiOperation({ operationId: 'getMyAgentProfile', summary: 'Get your agent profile' })
  @ApiErrors('NOT_FOUND')
  profile(@CurrentActor() actor: Actor): Promise<AgentProfileDto> {
    return this.agents.getProfile(actor);
  }

  /** Replaces the profile: display name, time zone, languages, concurrent-ticket limit. */
  @Put('me/profile')
  @Roles('agent')
  @ApiOperation({ operationId: 'replaceMyAgentProfile', summary: 'Replace your agent profile' })
  @ApiErrors('NOT_FOUND')
  updateProfile(
    @CurrentActor() actor: Actor,
    @Body() body: UpdateAgentProfileDto,
  ): Promise<AgentProfileDto> {
    return this.agents.updateProfile(actor, body);
  }

  /** Changes only the fields sent (an empty body changes nothing). */
  @Patch('me/profile')
  @Roles('agent')
  @ApiOperation({
    operationId: 'updateMyAgentProfile',
    summary: 'Change fields of your agent profile',
  })
  @ApiErrors('NOT_FOUND')
  patchProfile(
    @CurrentActor() actor: Actor,
    @Body() body: PatchAgentProfileDto,
  ): Promise<AgentProfileDto> {
    return this.agents.patchProfile(actor, body);
  }

  @Get('me/skills')
  @Roles('agent')
  @ApiOperation({ operationId: 'getMySkills', summary: 'Get your skills' })
  skills(@CurrentActor() actor: Actor): Promise<AgentSkillsDto> {
    return this.agents.getSkills(actor);
  }

  /** Replaces the agent's skills and levels. */
  @Put('me/skills')
  @Roles('agent')
  @ApiOperation({ operationId: 'replaceMySkills', summary: 'Replace your skills' })
  replaceSkills(
    @CurrentActor() actor: Actor,
    @Body() body: ReplaceAgentSkillsDto,
  ): Promise<AgentSkillsDto> {
    return this.agents.replaceSkills(actor, body);
  }

  /** Companies that have certified this agent for their programs. */
  @Get('me/certifications')
  @Roles('agent')
  @ApiOperation({
    operationId: 'listMyCertifications',
    summary: 'List the companies that certified you',
  })
  myCertifications(@CurrentActor() actor: Actor): Promise<AgentCertificationDto[]> {
    return this.certifications.listForAgent(actor);
  }

  /**
   * Suspends an agent: its tickets go back to the queue (the companies' webhooks hear of each),
   * its seats on shifts not yet ended are cancelled, and it can claim, keep or resolve nothing
   * until reinstated. Keyed: a retry after a lost answer (the console sends one by itself) is
   * answered as the first, never suspending again an agent another admin reinstated meanwhile.
   * An agent already suspended keeps its suspension's time: a new reason replaces the old one and
   * the agent is told it (`agent.suspended` again); the same reason changes nothing.
   */
  @Post(':id/suspend')
  @HttpCode(200)
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ operationId: 'suspendAgent', summary: 'Suspend an agent' })
  suspend(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: SuspendAgentDto,
  ): Promise<AgentProfileDto> {
    return this.suspension.suspend(actor, id, body.reason);
  }

  /** Keyed as a suspension is: a retry never reinstates an agent suspended again meanwhile. */
  @Post(':id/reinstate')
  @HttpCode(200)
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ operationId: 'reinstateAgent', summary: 'Reinstate a suspended agent' })
  reinstate(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<AgentProfileDto> {
    return this.suspension.reinstate(actor, id);
  }
}

@ApiTags('companies')
@Controller('v1/companies/me/certified-agents')
@Roles('company_admin')
export class CertifiedAgentsController {
  constructor(
    private readonly certifications: CertificationsService,
    private readonly revocation: CertificationRevocationService,
  ) {}

  /**
   * The agents the company certified, the latest certification first (the agent's id breaks a
   * tie), a page at a time: pass the answer's `nextCursor` as `cursor` for the next page.
   */
  @Get()
  @ApiOperation({
    operationId: 'listCertifiedAgents',
    summary: 'List the agents the company certified',
  })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: ListCertifiedAgentsQueryDto,
  ): Promise<CertifiedAgentPageDto> {
    return this.certifications.listForCompany(actor, query);
  }

  /**
   * Certifies an agent for the company's program (the same again answers the same). Keyed as
   * its revocation is: a retry after a lost answer (the console sends one by itself) is answered
   * as the first, never certifying again an agent whose certification was revoked meanwhile.
   */
  @Put(':agentId')
  @Idempotent()
  @ApiOperation({ operationId: 'certifyAgent', summary: 'Certify an agent' })
  certify(
    @CurrentActor() actor: Actor,
    @IdParam('agentId') agentId: string,
  ): Promise<CertifiedAgentDto> {
    return this.certifications.certify(actor, agentId);
  }

  /**
   * Revokes the certification: shifts requiring it are no longer open to the agent, and the
   * agent's seats and waitlist places on them end at once. A seat being worked ends as a
   * check-out does (tickets in hand go back to the queue after the shift-end grace; freed while
   * the shift's claims are open); a seat not yet worked is cancelled by the company. None
   * counts against the agent; each freed seat is offered to the waitlist. A seat whose check-in
   * deadline has passed stays a no-show.
   */
  @Delete(':agentId')
  @HttpCode(204)
  @Idempotent()
  @ApiOperation({ operationId: 'revokeCertification', summary: "Revoke an agent's certification" })
  async revoke(@CurrentActor() actor: Actor, @IdParam('agentId') agentId: string): Promise<void> {
    await this.revocation.revoke(actor, agentId);
  }
}
