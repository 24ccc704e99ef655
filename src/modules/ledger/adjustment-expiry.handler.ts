import { Injectable } from '@nestjs/common';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { AdjustmentsService } from './adjustments.service';

/** Seven days after it was made, a pending adjustment nobody decided on lapses. */
@Injectable()
@JobHandler('ledger.adjustment-expire')
export class AdjustmentExpiryHandler implements HandlesJob<'ledger.adjustment-expire'> {
  constructor(private readonly adjustments: AdjustmentsService) {}

  handle({ adjustmentId }: JobPayloads['ledger.adjustment-expire']): Promise<{ expired: boolean }> {
    return this.adjustments.expire(adjustmentId);
  }
}
