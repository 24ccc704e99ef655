import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { ShiftFacts } from '../shifts/shift-facts.service';

/**
 * The refusal of an agent's action on a ticket it may not act on (not its holder, suspended,
 * not on shift for its company): `reason` to an agent who ever held a seat with the ticket's
 * company, which may well have seen the ticket (a shift just ended, the ticket handed on); to
 * any other, the 404 an unknown id gets. A company's tickets are its business, and a 403
 * would confirm that an id exists.
 */
export async function refusalFor(
  em: EntityManager,
  shifts: ShiftFacts,
  agentId: string,
  companyId: string,
  reason: () => DomainError | Promise<DomainError>,
): Promise<DomainError> {
  return (await shifts.heldSeatWith(em, agentId, companyId))
    ? reason()
    : DomainError.notFound('Ticket');
}
