import { ApiProperty } from '@nestjs/swagger';
import { IsPlainText } from './plain-text';
import { QueueItemDto } from './ticket.dto';
import { OFFER_STATUSES, type OfferStatus } from './offers.repository';

export class DeclineOfferDto {
  /**
   * Why you pass on this ticket (plain text, 1–500 characters); the company may read it.
   * @example "Not confident with chargebacks in German"
   */
  @IsPlainText(1, 500)
  reason: string;
}

export class OfferDto {
  /** @example 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e */
  id: string;
  /** @example 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d */
  ticketId: string;
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  shiftId: string;
  /** @example declined */
  @ApiProperty({ enum: OFFER_STATUSES })
  status: OfferStatus;
  /** @example 2030-05-04T08:00:30.000Z */
  expiresAt: Date;
  /** @example 2030-05-04T08:00:00.000Z */
  createdAt: Date;
  /** @example 2030-05-04T08:00:12.000Z */
  decidedAt: Date | null;
  /** @example "Not confident with chargebacks in German" */
  declineReason: string | null;
}

/** A pending offer with what the agent decides on: the ticket as the queue shows it, with pay. */
export class PendingOfferDto extends OfferDto {
  ticket: QueueItemDto;
}

export class PendingOffersDto {
  /** Oldest first; only offers not yet run out. */
  items: PendingOfferDto[];
}
