import { DomainError } from '../errors/domain-error';
import { Actor, BotActor, UserActor, UserRole } from './actor';

/**
 * Service-level access checks, so a use case is safe however it is reached (controller, CLI,
 * job), not only behind a guard.
 */
export function requireUser(actor: Actor, ...roles: UserRole[]): UserActor {
  if (actor.kind !== 'user' || (roles.length > 0 && !roles.includes(actor.role))) {
    throw new DomainError('FORBIDDEN', 'Your role may not perform this action');
  }
  return actor;
}

/** A company admin or the company's bot: returns the company the actor acts for. */
export function requireCompany(actor: Actor, allowBot = false): string {
  if (actor.kind === 'bot' && allowBot) return actor.companyId;
  if (actor.kind === 'user' && actor.role === 'company_admin' && actor.companyId) {
    return actor.companyId;
  }
  throw new DomainError('FORBIDDEN', 'Only a company may perform this action');
}

export function requireBot(actor: Actor): BotActor {
  if (actor.kind !== 'bot')
    throw new DomainError('FORBIDDEN', 'Only a company API key may call this');
  return actor;
}
