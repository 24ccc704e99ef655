import {
  Controller,
  Headers,
  HttpCode,
  Inject,
  Post,
  Req,
  type RawBodyRequest,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { Public } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { OutboxService } from '../outbox/outbox.service';
import { STRIPE, STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';

/**
 * Stripe calls these; authenticity comes from the signature over the raw body (300 s
 * tolerance), not from our auth. Each event id is stored once, with a job to apply it, in one
 * transaction; the answer is immediate and the work happens in the queue.
 */
@ApiTags('stripe')
@Controller('v1/stripe')
@Public()
export class StripeWebhooksController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    @Inject(STRIPE_SETTINGS) private readonly settings: StripeSettings,
    private readonly outbox: OutboxService,
  ) {}

  @Post('webhooks')
  @HttpCode(200)
  platform(@Req() req: RawBodyRequest<Request>, @Headers('stripe-signature') signature?: string) {
    return this.receive(req, signature, this.settings.webhookSecret);
  }

  @Post('connect-webhooks')
  @HttpCode(200)
  connect(@Req() req: RawBodyRequest<Request>, @Headers('stripe-signature') signature?: string) {
    return this.receive(req, signature, this.settings.connectWebhookSecret);
  }

  private async receive(
    req: RawBodyRequest<Request>,
    signature: string | undefined,
    secret: string,
  ) {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        req.rawBody ?? Buffer.alloc(0),
        signature ?? '',
        secret,
      );
    } catch (e) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Stripe signature check failed: ${(e as Error).message}`,
      );
    }
    const duplicate = await this.db.transaction(async (em) => {
      const [stored]: unknown[] = await em.query(
        `INSERT INTO stripe_events (id, type, account, created, payload)
         VALUES ($1, $2, $3, to_timestamp($4), $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [event.id, event.type, event.account ?? null, event.created, JSON.stringify(event)],
      );
      if (stored) await this.outbox.enqueue(em, 'stripe.event', { eventId: event.id });
      return !stored;
    });
    return { received: true, duplicate };
  }
}
