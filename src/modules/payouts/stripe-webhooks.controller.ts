import {
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  Post,
  Req,
  type RawBodyRequest,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import Stripe from 'stripe';
import { Public } from '../../common/auth/decorators';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { STRIPE, STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';
import { StripeEventReceivedDto } from './payout-account.dto';
import { notThePlatforms } from './stripe-event-scope';
import { StripeEventsService } from './stripe-events.service';

/** Stripe's default signature tolerance, applied both ways (constructEvent only checks age). */
const TOLERANCE_SECONDS = 300;
/** Stripe started in 2010; an event stamped before, or after tomorrow, is not one of its own. */
const EARLIEST_CREATED = Date.UTC(2010, 0, 1) / 1000;
const MAX_ID_LENGTH = 255;

/** The signature's `t=` as stripe-node reads it (the last one wins, parseInt). */
function signedAt(header: string): number {
  let t = NaN;
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') t = parseInt(value, 10);
  }
  return t;
}

const shortString = (v: unknown) =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;

/**
 * A correctly signed body is still only JSON: the fields we store must have Stripe's types, or
 * the insert fails as a 500 (a NOT NULL id, to_timestamp of a string or of 1e20).
 */
function eventProblems(event: Record<string, unknown>): FieldError[] {
  const created = event.created as number;
  const latest = Date.now() / 1000 + 24 * 3600;
  const text = `a string of 1-${MAX_ID_LENGTH} characters`;
  const checks: [string, boolean, string][] = [
    ['id', shortString(event.id), `id must be ${text}`],
    ['type', shortString(event.type), `type must be ${text}`],
    [
      'created',
      Number.isSafeInteger(created) && created >= EARLIEST_CREATED && created <= latest,
      'created must be whole Unix seconds between 2010 and tomorrow',
    ],
    ['account', event.account == null || shortString(event.account), `account must be ${text}`],
  ];
  return checks
    .filter(([, ok]) => !ok)
    .map(([field, , message]) => ({ field, messages: [message] }));
}

const StripeEventBody = () =>
  ApiBody({
    description:
      'The event exactly as Stripe sent it (the Stripe-Signature header covers its bytes).',
    schema: { type: 'object', additionalProperties: true },
  });

/**
 * Stripe calls these; authenticity comes from the signature over the raw body (300 s
 * tolerance, past and future), not from our auth; then the event's shape is checked. Each
 * event id is stored once, with a job to apply it, in one transaction; the answer is immediate
 * and the work happens in the queue.
 */
@ApiTags('stripe')
@Controller('v1/stripe')
@Public()
export class StripeWebhooksController {
  private readonly logger = new Logger(StripeWebhooksController.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    @Inject(STRIPE_SETTINGS) private readonly settings: StripeSettings,
    private readonly events: StripeEventsService,
  ) {}

  @Post('webhooks')
  @HttpCode(200)
  @ApiOperation({ operationId: 'receiveStripeEvent', summary: 'Receive a Stripe event' })
  @StripeEventBody()
  platform(
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature?: string,
  ): Promise<StripeEventReceivedDto> {
    return this.receive(req, signature, this.settings.webhookSecret);
  }

  @Post('connect-webhooks')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveStripeConnectEvent',
    summary: 'Receive a Stripe Connect event',
  })
  @StripeEventBody()
  connect(
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature?: string,
  ): Promise<StripeEventReceivedDto> {
    return this.receive(req, signature, this.settings.connectWebhookSecret);
  }

  private async receive(
    req: RawBodyRequest<FastifyRequest>,
    signature: string | undefined,
    secret: string,
  ): Promise<StripeEventReceivedDto> {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        req.rawBody ?? Buffer.alloc(0),
        signature ?? '',
        secret,
        TOLERANCE_SECONDS,
      );
    } catch (e) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Stripe signature check failed: ${(e as Error).message}`,
      );
    }
    if (signedAt(signature ?? '') - Date.now() / 1000 > TOLERANCE_SECONDS) {
      throw new DomainError(
        'VALIDATION_FAILED',
        'Stripe signature check failed: Timestamp too far in the future',
      );
    }
    const problems = eventProblems(event as unknown as Record<string, unknown>);
    if (problems.length > 0) throw DomainError.validation(problems);
    if (this.otherMode(event)) {
      // A live Connect endpoint also gets the test-mode events of accounts connected in live
      // mode (Stripe's Connect docs): a test deauthorization would close a live agent's account
      // for good, and each test account.updated spend a live call to read the account.
      this.logger.log(
        { eventId: event.id, type: event.type, livemode: event.livemode },
        'Stripe event of the other mode ignored',
      );
      return { received: true, duplicate: false, ignored: true };
    }
    if (notThePlatforms(event)) {
      this.logger.log(
        { eventId: event.id, type: event.type, stripeAccountId: event.account },
        "connected account's Stripe event of a kind applied only to the platform's ignored",
      );
      return { received: true, duplicate: false, ignored: true };
    }
    const duplicate = !(await this.events.record(event));
    return { received: true, duplicate, ignored: false };
  }

  /** An event of the mode our key is not (the in-process fake takes both). */
  private otherMode(event: Stripe.Event): boolean {
    if (this.settings.mode === 'fake' || typeof event.livemode !== 'boolean') return false;
    return event.livemode !== (this.settings.mode === 'live');
  }
}
