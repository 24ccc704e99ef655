import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { TicketDto } from './ticket.dto';
import { toTicketDto } from './ticket.mapper';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketsRepository } from './tickets.repository';

/** Reads a whole ticket as the API shows it, for every use case that answers with one. */
@Injectable()
export class TicketReadService {
  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
  ) {}

  /** A whole ticket with its claim history; `companyId` scopes it (null: no scope, internal use). */
  async load(em: EntityManager, id: string, companyId: string | null): Promise<TicketDto> {
    const ticket = await this.tickets.findScoped(em, id, companyId);
    // Another company's ticket does not exist, as far as this caller can tell.
    if (!ticket) throw DomainError.notFound('Ticket');
    const claims = await this.claims.history(em, ticket.id);
    return toTicketDto(ticket, claims, this.config.get('REOPEN_WINDOW_HOURS', { infer: true }));
  }
}
