import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { OpenShiftDto, OpenShiftsQueryDto } from './shift.dto';
import { loadShifts } from './shift-views';

/**
 * Upcoming shifts an agent may claim, soonest first. The WHERE clause is the SQL twin of
 * ineligibilityReasons(): not suspended, every required skill at its level, every language,
 * certified when required. Shifts the agent already holds a seat on are left out.
 */
const OPEN_SHIFTS_SQL = `
  SELECT s.id, s.starts_at, co.name AS company_name
    FROM shifts s
    JOIN companies co ON co.id = s.company_id
    JOIN agents a ON a.user_id = $1
   WHERE s.status = 'scheduled' AND s.starts_at > now()
     AND ($2 OR s.seats_taken < s.seats)
     AND a.suspended_at IS NULL
     AND s.languages <@ a.languages
     AND NOT EXISTS (
           SELECT 1 FROM shift_required_skills r
             LEFT JOIN agent_skills k ON k.agent_id = a.user_id AND k.skill = r.skill
            WHERE r.shift_id = s.id AND (k.level IS NULL OR k.level < r.min_level))
     AND (NOT s.requires_certification OR EXISTS (
           SELECT 1 FROM certifications c WHERE c.company_id = s.company_id AND c.agent_id = a.user_id))
     AND NOT EXISTS (
           SELECT 1 FROM shift_claims h WHERE h.shift_id = s.id AND h.agent_id = a.user_id
              AND h.status IN ('claimed', 'checked_in'))
     AND ($3::timestamptz IS NULL OR (s.starts_at, s.id) > ($3::timestamptz, $4::uuid))
   ORDER BY s.starts_at, s.id
   LIMIT $5`;

@Injectable()
export class OpenShiftsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(actor: Actor, query: OpenShiftsQueryDto): Promise<Page<OpenShiftDto>> {
    const { userId } = requireUser(actor, 'agent');
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows: { id: string; starts_at: Date; company_name: string }[] = await this.db.query(
      OPEN_SHIFTS_SQL,
      [
        userId,
        query.includeFull ?? false,
        cursor?.[0] ?? null,
        cursor?.[1] ?? null,
        query.limit + 1,
      ],
    );
    const page = toPage(
      rows,
      query.limit,
      (r) => r,
      (r) => [r.starts_at.toISOString(), r.id],
    );
    const shifts = await loadShifts(
      this.db.manager,
      page.items.map((r) => r.id),
    );
    const names = new Map(page.items.map((r) => [r.id, r.company_name]));
    return {
      items: shifts.map((s) => ({
        id: s.id,
        companyId: s.companyId,
        companyName: names.get(s.id)!,
        title: s.title,
        startsAt: s.startsAt,
        endsAt: s.endsAt,
        seatsLeft: s.seats - s.seatsTaken,
        requiredSkills: s.requiredSkills,
        languages: s.languages,
        ratePerTicket: { amountMinor: s.rateAmountMinor, currency: s.rateCurrency },
        requiresCertification: s.requiresCertification,
        checkInGraceMinutes: s.checkInGraceMinutes,
      })),
      nextCursor: page.nextCursor,
    };
  }
}
