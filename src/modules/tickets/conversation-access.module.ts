import { Global, Module } from '@nestjs/common';
import { CLAIM_CONVERSATIONS } from '../../common/conversation/claim-conversations';
import { TicketClaimFacts } from './ticket-claim-facts.service';
import { TicketsModule } from './tickets.module';

/**
 * Which claims' conversations an agent may still read, offered to every module under
 * CLAIM_CONVERSATIONS (the events store asks it), without them importing tickets.
 */
@Global()
@Module({
  imports: [TicketsModule],
  providers: [{ provide: CLAIM_CONVERSATIONS, useExisting: TicketClaimFacts }],
  exports: [CLAIM_CONVERSATIONS],
})
export class ConversationAccessModule {}
