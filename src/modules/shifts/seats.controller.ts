import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrors } from '../../common/http/api-errors';
import { ClaimSeatDto } from './claim-seat.dto';
import { OpenShiftPageDto, OpenShiftsQueryDto } from './open-shift.dto';
import {
  MyClaimsQueryDto,
  ReliabilityDto,
  ShiftClaimDto,
  ShiftClaimPageDto,
  WaitlistPositionDto,
} from './shift-claim.dto';
import { OpenShiftsService } from './open-shifts.service';
import { ShiftClaimsService } from './shift-claims.service';
import { ShiftWaitlistService } from './shift-waitlist.service';

/** The agent side of shifts. Registered before ShiftsController so /open is not an :id. */
@ApiTags('seats')
@Controller('v1/shifts')
@Roles('agent')
export class SeatsController {
  constructor(
    private readonly open: OpenShiftsService,
    private readonly claims: ShiftClaimsService,
    private readonly waitlist: ShiftWaitlistService,
  ) {}

  /**
   * Shifts you are eligible for and can claim now (upcoming, or started with enough time left),
   * with seats left and pay, soonest first. An empty first page says why in `hints`.
   */
  @Get('open')
  @ApiOperation({ operationId: 'listOpenShifts', summary: 'List the shifts you can claim' })
  openShifts(
    @CurrentActor() actor: Actor,
    @Query() query: OpenShiftsQueryDto,
  ): Promise<OpenShiftPageDto> {
    return this.open.list(actor, query);
  }

  /**
   * Takes a seat, before the start or on a started shift while enough of it remains (then the
   * seat, its check-in deadline and its weekly hours count from the claim). 409 SHIFT_FULL,
   * SHIFT_OVERLAP, SHIFT_CLOSED (with claimsCloseAt once claims have closed),
   * WEEKLY_HOURS_EXCEEDED or ALREADY_CLAIMED; 403 NOT_ELIGIBLE with the reasons. A body naming
   * the shift as it was shown (its window, its rate) is refused with 409 SHIFT_CHANGED when the
   * company changed those since.
   */
  @Post(':id/claims')
  @Idempotent()
  @ApiOperation({ operationId: 'claimSeat', summary: 'Claim a seat on a shift' })
  // Optional: a claim without it takes the seat as the shift is when it runs.
  @ApiBody({ type: ClaimSeatDto, required: false })
  @ApiErrors(
    'NOT_ELIGIBLE',
    'SHIFT_FULL',
    'SHIFT_OVERLAP',
    'SHIFT_CLOSED',
    'WEEKLY_HOURS_EXCEEDED',
    'ALREADY_CLAIMED',
    'SHIFT_CHANGED',
  )
  claim(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() seen: ClaimSeatDto,
  ): Promise<ShiftClaimDto> {
    return this.claims.claim(actor, id, seen);
  }

  /** Gives your seat back; inside the late window it counts as a late cancellation. */
  @Delete(':id/claims/me')
  // A retry of a lost answer with the same key gets that answer; without one, a 404 (no seat)
  // or, once the agent claimed again meanwhile, the new seat cancelled.
  @Idempotent()
  @ApiOperation({ operationId: 'cancelMySeat', summary: 'Give your seat back' })
  @ApiErrors('CLAIM_STATE_CONFLICT')
  cancel(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.cancel(actor, id);
  }

  /** Checks in, from shortly before the start until the seat's check-in deadline. */
  @Post(':id/check-in')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'checkIn', summary: 'Check in to your seat' })
  @ApiErrors('SHIFT_CLOSED', 'CHECK_IN_NOT_OPEN', 'CLAIM_STATE_CONFLICT')
  checkIn(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.checkIn(actor, id);
  }

  @Post(':id/check-out')
  @HttpCode(200)
  // A retry of a lost answer with the same key gets that answer, not 409 "completed".
  @Idempotent()
  @ApiOperation({ operationId: 'checkOut', summary: 'Check out of your seat' })
  @ApiErrors('CLAIM_STATE_CONFLICT')
  checkOut(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.checkOut(actor, id);
  }

  /** Joins a full shift's waitlist; a freed seat goes to the first eligible agent in line. */
  @Post(':id/waitlist')
  @Idempotent()
  @ApiOperation({ operationId: 'joinWaitlist', summary: "Join a full shift's waitlist" })
  @ApiErrors(
    'NOT_ELIGIBLE',
    'SHIFT_CLOSED',
    'ALREADY_CLAIMED',
    'SEATS_AVAILABLE',
    'WAITLIST_FULL',
    'ALREADY_WAITLISTED',
  )
  joinWaitlist(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<WaitlistPositionDto> {
    return this.waitlist.join(actor, id);
  }

  @Delete(':id/waitlist')
  @HttpCode(204)
  @Idempotent()
  @ApiOperation({ operationId: 'leaveWaitlist', summary: 'Leave a waitlist' })
  async leaveWaitlist(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<void> {
    await this.waitlist.leave(actor, id);
  }
}

@ApiTags('seats')
@Controller('v1/agents/me')
@Roles('agent')
export class MySeatsController {
  constructor(private readonly claims: ShiftClaimsService) {}

  /** Your seat claims, latest shift first, including seats given to you from a waitlist. */
  @Get('claims')
  @ApiOperation({ operationId: 'listMySeatClaims', summary: 'List your seat claims' })
  list(@CurrentActor() actor: Actor, @Query() query: MyClaimsQueryDto): Promise<ShiftClaimPageDto> {
    return this.claims.listMine(actor, query);
  }

  /** Completed seats, late cancellations and no-shows over the last 30 days. */
  @Get('reliability')
  @ApiOperation({ operationId: 'getMyReliability', summary: 'Get your reliability record' })
  reliability(@CurrentActor() actor: Actor): Promise<ReliabilityDto> {
    return this.claims.reliability(actor);
  }
}
