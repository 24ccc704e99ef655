import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { CompaniesService } from '../companies/companies.service';
import { EventsService } from '../events/events.service';
import { SeatRevocation } from '../shifts/seat-revocation.service';
import { AgentsService } from './agents.service';
import { CertificationsService } from './certifications.service';
import { retryWhileSeatsClaimed, SeatClaimedMeanwhile } from './seat-race';

/**
 * A company revokes an agent's certification, in one transaction: the certification goes, and
 * with it the agent's seats and waitlist places on the company's shifts that require it
 * (SeatRevocation.endSeats: a seat being worked ends as a check-out, freed while the shift's
 * claims are open; the others are cancelled by the company; none counts against the agent).
 * Other companies' shifts, and this company's open ones, are not touched. The freed seats go to
 * their waitlists by a job the transaction writes (shift.promote-waitlist). The agent is told in
 * the same transaction (`certification.revoked`): seats and places in line went without a word.
 */
@Injectable()
export class CertificationRevocationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly certifications: CertificationsService,
    private readonly agents: AgentsService,
    private readonly seats: SeatRevocation,
    private readonly companies: CompaniesService,
    private readonly events: EventsService,
  ) {}

  async revoke(actor: Actor, agentId: string): Promise<void> {
    const companyId = requireCompany(actor);
    await this.revokeOnce(companyId, agentId);
  }

  /**
   * The lock order of every seat transaction: the shift rows, then the agent's. A claim that
   * holds the agent's row when this asks for it commits its seat first, perhaps on a shift not
   * locked here (it read the certification before it went): read again, as a suspension does
   * (retryWhileSeatsClaimed). A claim that asks for the agent's row after this took it reads the
   * certification again under that lock (SeatAllocator) and finds it gone.
   */
  private revokeOnce(companyId: string, agentId: string): Promise<void> {
    return retryWhileSeatsClaimed(
      () =>
        this.db.transaction(async (em) => {
          const shiftIds = await this.seats.lockShiftsOf(em, agentId, companyId);
          // Not an agent: no certification either (the 404 below says so).
          await this.agents.lock(em, agentId).catch((e: unknown) => {
            if (!(e instanceof DomainError)) throw e;
          });
          if (!(await this.certifications.remove(em, companyId, agentId))) {
            throw DomainError.notFound('Certification');
          }
          if ((await this.seats.seatsBeyond(em, agentId, companyId, shiftIds)).length > 0) {
            throw new SeatClaimedMeanwhile();
          }
          await this.seats.endSeats(em, agentId, companyId, shiftIds);
          const names = await this.companies.namesOf(em, [companyId]);
          await this.events.record(em, {
            type: 'certification.revoked',
            agentId,
            data: { companyId, companyName: names.get(companyId) ?? null },
          });
        }),
      'The agent kept claiming seats while the certification was being revoked; try again',
    );
  }
}
