import { EntityManager } from 'typeorm';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { AgentQualifications } from './eligibility';
import { RequiredSkillDto, RequiredSkillView, ShiftClaimDto, ShiftDto } from './shift.dto';
import { Shift, ShiftRequiredSkill } from './shift.entity';
import { MAX_SHIFT_MINUTES, MIN_SHIFT_MINUTES } from './shift-rules';

export interface ShiftWithSkills extends Shift {
  requiredSkills: RequiredSkillView[];
}

export function toShiftDto(s: ShiftWithSkills): ShiftDto {
  return {
    id: s.id,
    companyId: s.companyId,
    title: s.title,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    seats: s.seats,
    seatsTaken: s.seatsTaken,
    seatsLeft: s.seats - s.seatsTaken,
    requiredSkills: s.requiredSkills,
    languages: s.languages,
    ratePerTicket: { amountMinor: s.rateAmountMinor, currency: s.rateCurrency },
    requiresCertification: s.requiresCertification,
    checkInGraceMinutes: s.checkInGraceMinutes,
    status: s.status,
    cancelledAt: s.cancelledAt,
    cancelReason: s.cancelReason,
    completedAt: s.completedAt,
    createdAt: s.createdAt,
  };
}

/** Loads shifts with their required skills; `lock` takes the row lock (shift rows first, always). */
export async function loadShifts(
  em: EntityManager,
  ids: string[],
  lock = false,
): Promise<ShiftWithSkills[]> {
  if (ids.length === 0) return [];
  const qb = em.getRepository(Shift).createQueryBuilder('s').where('s.id IN (:...ids)', { ids });
  if (lock) qb.setLock('pessimistic_write');
  const shifts = await qb.getMany();
  const skills = await em
    .getRepository(ShiftRequiredSkill)
    .createQueryBuilder('r')
    .where('r.shiftId IN (:...ids)', { ids })
    .orderBy('r.skill')
    .getMany();
  const byId = new Map(ids.map((id) => [id, [] as RequiredSkillView[]]));
  for (const r of skills) byId.get(r.shiftId)?.push({ skill: r.skill, minLevel: r.minLevel });
  const order = new Map(ids.map((id, i) => [id, i]));
  return shifts
    .map((s) => Object.assign(s, { requiredSkills: byId.get(s.id) ?? [] }))
    .sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

export async function loadShift(
  em: EntityManager,
  id: string,
  lock = false,
): Promise<ShiftWithSkills> {
  const [shift] = await loadShifts(em, [id], lock);
  if (!shift) throw DomainError.notFound('Shift');
  return shift;
}

/** Qualifications of one agent, as the eligibility rule needs them. */
export async function loadQualifications(
  em: EntityManager,
  agentId: string,
  companyId: string,
): Promise<AgentQualifications & { timeZone: string }> {
  const [agent]: { suspended_at: Date | null; languages: string[]; time_zone: string }[] =
    await em.query('SELECT suspended_at, languages, time_zone FROM agents WHERE user_id = $1', [
      agentId,
    ]);
  if (!agent) throw DomainError.notFound('Agent');
  const skills: { skill: string; level: number }[] = await em.query(
    'SELECT skill, level FROM agent_skills WHERE agent_id = $1',
    [agentId],
  );
  const certified: unknown[] = await em.query(
    'SELECT 1 FROM certifications WHERE agent_id = $1 AND company_id = $2',
    [agentId, companyId],
  );
  return {
    suspended: agent.suspended_at !== null,
    languages: agent.languages,
    timeZone: agent.time_zone,
    skills: new Map(skills.map((s) => [s.skill, s.level])),
    certifiedBy: new Set(certified.length > 0 ? [companyId] : []),
  };
}

/** Start in the future; length 15 min to 12 h. Field-level errors, like DTO validation. */
export function checkWindow(startsAt: Date, endsAt: Date): FieldError[] {
  const problems: FieldError[] = [];
  if (startsAt.getTime() <= Date.now()) {
    problems.push({ field: 'startsAt', messages: ['startsAt must be in the future'] });
  }
  const minutes = (endsAt.getTime() - startsAt.getTime()) / 60_000;
  if (minutes < MIN_SHIFT_MINUTES || minutes > MAX_SHIFT_MINUTES) {
    problems.push({
      field: 'endsAt',
      messages: [
        `endsAt must be ${MIN_SHIFT_MINUTES} minutes to ${MAX_SHIFT_MINUTES / 60} hours after startsAt`,
      ],
    });
  }
  return problems;
}

export function duplicateSkillErrors(skills: RequiredSkillDto[], field: string): FieldError[] {
  const seen = new Set<string>();
  return skills.flatMap((s, i) => {
    if (!seen.has(s.skill)) {
      seen.add(s.skill);
      return [];
    }
    return [{ field: `${field}.${i}.skill`, messages: [`skill "${s.skill}" is listed twice`] }];
  });
}

interface ClaimRow {
  id: string;
  shift_id: string;
  company_id: string;
  company_name: string;
  title: string | null;
  starts_at: Date;
  ends_at: Date;
  status: string;
  source: string;
  check_in_deadline: Date;
  claimed_at: Date;
  checked_in_at: Date | null;
  checked_out_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  late_cancellation: boolean;
  no_show_at: Date | null;
  rate_amount_minor: string;
  rate_currency: string;
}

/** The agent's view of its claims: everything about the seat and the shift it is on. */
export const CLAIM_VIEW_SQL = `
  SELECT c.id, c.shift_id, c.company_id, co.name AS company_name, s.title, s.starts_at, s.ends_at,
         c.status, c.source, c.check_in_deadline, c.claimed_at, c.checked_in_at, c.checked_out_at,
         c.completed_at, c.cancelled_at, c.late_cancellation, c.no_show_at,
         s.rate_amount_minor, s.rate_currency
    FROM shift_claims c
    JOIN shifts s ON s.id = c.shift_id
    JOIN companies co ON co.id = c.company_id`;

export function toClaimDto(r: ClaimRow): ShiftClaimDto {
  return {
    id: r.id,
    shiftId: r.shift_id,
    companyId: r.company_id,
    companyName: r.company_name,
    shiftTitle: r.title,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    status: r.status,
    source: r.source,
    checkInDeadline: r.check_in_deadline,
    claimedAt: r.claimed_at,
    checkedInAt: r.checked_in_at,
    checkedOutAt: r.checked_out_at,
    completedAt: r.completed_at,
    cancelledAt: r.cancelled_at,
    lateCancellation: r.late_cancellation,
    noShowAt: r.no_show_at,
    ratePerTicket: { amountMinor: Number(r.rate_amount_minor), currency: r.rate_currency },
  };
}

export async function loadClaim(em: EntityManager, claimId: string): Promise<ShiftClaimDto> {
  const [row] = await em.query(`${CLAIM_VIEW_SQL} WHERE c.id = $1`, [claimId]);
  if (!row) throw DomainError.notFound('Shift claim');
  return toClaimDto(row);
}
