import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { UsersService } from '../users/users.service';
import { AgentDirectoryPageDto, AgentDirectoryQueryDto } from './agent.dto';
import { toAgentProfileDto } from './agent.mapper';
import { AgentsService } from './agents.service';

/**
 * Emails matched by a search, at most: an email search is a prefix search ("ana.p@"), so a
 * real term matches a few; a term like "a" matches names anyway. Past it the page says so
 * (`emailMatchesLimited`): names and emails are two modules' tables, read apart.
 */
const EMAIL_MATCHES = 200;

/**
 * Staff find agents (an admin to suspend or reinstate one, finance to adjust one's balance) by
 * name or email. Names are the agents module's, emails the users module's: one query to each.
 */
@Injectable()
export class AgentDirectory {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentsService,
    private readonly users: UsersService,
  ) {}

  async search(actor: Actor, query: AgentDirectoryQueryDto): Promise<AgentDirectoryPageDto> {
    requireUser(actor, 'admin', 'finance');
    const after = decodeCursor(query.cursor, ['text', 'uuid']) as [string, string] | null;
    const em = this.db.manager;
    const q = query.q?.trim() ?? null;
    // One more than taken, to say when some were left out (they were, without a word).
    const matched = q ? await this.users.idsWithEmailPrefix(em, q, 'agent', EMAIL_MATCHES + 1) : [];
    const alsoIds = matched.slice(0, EMAIL_MATCHES);
    const suspended = query.status ? query.status === 'suspended' : null;
    const rows = await this.agents.directory(em, { q, alsoIds, suspended }, after, query.limit + 1);
    const emails = await this.users.emailsOf(
      em,
      rows.map((r) => r.userId),
    );
    const page = toPage(
      rows,
      query.limit,
      (a) => ({
        ...toAgentProfileDto(a),
        email: emails.get(a.userId) ?? null,
        createdAt: a.createdAt,
      }),
      (a) => [a.displayName, a.userId],
    );
    return { ...page, emailMatchesLimited: matched.length > EMAIL_MATCHES };
  }
}
