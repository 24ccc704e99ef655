import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { DeclineOfferDto, OfferDto, PendingOffersDto } from './offer.dto';
import { OffersService } from './offers.service';
import { AgentTicketDto } from './ticket.dto';

@ApiTags('offers')
@Controller('v1')
@Roles('agent')
export class OffersController {
  constructor(private readonly offers: OffersService) {}

  /** Your pending offers with their tickets and pay, oldest first (after a reload, say). */
  @Get('agents/me/offers')
  @ApiOperation({ operationId: 'listMyOffers', summary: 'List your pending offers' })
  pending(@CurrentActor() actor: Actor): Promise<PendingOffersDto> {
    return this.offers.pending(actor);
  }

  /**
   * Claims the offered ticket (exactly once). 409 OFFER_NOT_PENDING, OFFER_EXPIRED,
   * TICKET_ALREADY_CLAIMED (taken by a claim meanwhile), TICKET_NOT_OPEN, AGENT_AT_CAPACITY.
   */
  @Post('offers/:id/accept')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'acceptOffer', summary: 'Accept an offer (claim its ticket)' })
  @ApiErrors(
    'NOT_ELIGIBLE',
    'OFFER_NOT_PENDING',
    'OFFER_EXPIRED',
    'TICKET_ALREADY_CLAIMED',
    'TICKET_NOT_OPEN',
    'AGENT_AT_CAPACITY',
  )
  accept(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<AgentTicketDto> {
    return this.offers.accept(actor, id);
  }

  /** Passes on the offer; the ticket goes to the next agent. 409 OFFER_NOT_PENDING. */
  @Post('offers/:id/decline')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'declineOffer', summary: 'Decline an offer' })
  @ApiErrors('OFFER_NOT_PENDING', 'OFFER_EXPIRED')
  decline(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: DeclineOfferDto,
  ): Promise<OfferDto> {
    return this.offers.decline(actor, id, body.reason);
  }
}
