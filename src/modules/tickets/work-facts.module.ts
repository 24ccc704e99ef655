import { Global, Module } from '@nestjs/common';
import { WORK_FACTS } from '../../common/pay/work-facts';
import { TicketClaimFacts } from './ticket-claim-facts.service';
import { TicketsModule } from './tickets.module';

/**
 * Work done on shifts offered to every module under WORK_FACTS (shifts ask it for pay per
 * hour), without them importing tickets, which itself reads shifts.
 */
@Global()
@Module({
  imports: [TicketsModule],
  providers: [{ provide: WORK_FACTS, useExisting: TicketClaimFacts }],
  exports: [WORK_FACTS],
})
export class WorkFactsModule {}
