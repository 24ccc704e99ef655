import { DomainError, FieldError } from '../../common/errors/domain-error';
import { CreateShiftDto, UpdateShiftDto } from './shift-write.dto';
import { ShiftWithSkills } from './shift.rows';

/** Which changes of a shift are safe once seats are taken, and which add demand. */

/**
 * Fields that may change once seats are taken, each only in the direction that cannot hurt a
 * seat holder (checked in refuseUnsafeChanges). Not routing: a pull agent's client claims and
 * may not listen for offers, and push to pull would drop pending offers and the fairness rule
 * the agents signed up under; a company that wants the other mode posts another shift.
 */
const SAFE_WITH_CLAIMS = new Set([
  'title',
  'seats',
  'ratePerTicket',
  'requiresCertification',
  'offerSeconds',
  'maxAwayMinutes',
  'minQuality',
  // Surge only ever adds to the pay of claims from now on; what was fixed on claims stays.
  'surge',
]);

/**
 * The way a field of SAFE_WITH_CLAIMS may still move, said under it when it moved the other: "the
 * rate cannot change" read as if no raise were possible either.
 */
const ONLY_WAY: Record<string, string> = {
  ratePerTicket: 'can only go up, in the same currency,',
  requiresCertification: 'can only be dropped',
  offerSeconds: 'can only get longer',
  maxAwayMinutes: 'can only go up, or be removed,',
  minQuality: 'can only go down, or be removed,',
};

/** How the field may still move, or that it cannot: none set yet, any value is the wrong way. */
function onlyWay(shift: ShiftWithSkills, field: string): string {
  const unset =
    (field === 'maxAwayMinutes' && shift.maxAwayMinutes === null) ||
    (field === 'minQuality' && shift.minQuality === null);
  return unset ? 'cannot be set' : (ONLY_WAY[field] ?? 'cannot change');
}

/**
 * `ticketsHeld`: active ticket claims under the shift. They resolve at the shift's rate as it is
 * then, and a seat freed by an early check-out or a revoked certification leaves its tickets
 * held for the handover grace, so they are protected as a taken seat is.
 */
export function refuseUnsafeChanges(
  shift: ShiftWithSkills,
  input: UpdateShiftDto,
  ticketsHeld: number,
): void {
  if (input.seats !== undefined && input.seats < shift.seatsTaken) {
    throw new DomainError(
      'SEATS_BELOW_TAKEN',
      `${shift.seatsTaken} seats are taken; seats cannot go below that`,
      {
        seatsTaken: shift.seatsTaken,
        // Named as a field, so a form says it under Seats (it said it in a general alert).
        fields: [
          {
            field: 'seats',
            messages: [`seats must not be below the ${shift.seatsTaken} taken`],
          },
        ],
      },
    );
  }
  if (shift.seatsTaken === 0 && ticketsHeld === 0) return;
  const unsafe = unsafeChanges(shift, input);
  if (unsafe.length > 0) {
    const held = shift.seatsTaken > 0 ? 'seats are taken' : 'tickets claimed under it are held';
    throw new DomainError(
      'SHIFT_HAS_CLAIMS',
      `${held[0].toUpperCase()}${held.slice(1)}: only the title, seats, a higher rate, dropping the certification requirement, longer offers, a higher away cap, a lower minimum quality or surge can change`,
      {
        ticketsHeld,
        fields: unsafe.map((field) => ({
          field,
          messages: [
            `${field} ${onlyWay(shift, field)} ${shift.seatsTaken > 0 ? 'once' : 'while'} ${held}`,
          ],
        })),
      },
    );
  }
}

/**
 * The fields of the change that could hurt an agent who took a seat (or waits for one) under
 * the shift as it is: any field not in SAFE_WITH_CLAIMS, and those in it moved the wrong way.
 */
export function unsafeChanges(shift: ShiftWithSkills, input: UpdateShiftDto): string[] {
  const unchanged = unchangedFields(shift, input);
  const unsafe = Object.keys(input).filter(
    (k) =>
      input[k as keyof UpdateShiftDto] !== undefined &&
      !SAFE_WITH_CLAIMS.has(k) &&
      !unchanged.has(k),
  );
  if (input.requiresCertification === true && !shift.requiresCertification) {
    unsafe.push('requiresCertification');
  }
  // Shorter offers mean more expiries (three in a row set an agent away); a lower away cap
  // would count breaks already taken against reliability. No cap (null) is the highest.
  if (input.offerSeconds !== undefined && input.offerSeconds < shift.offerSeconds) {
    unsafe.push('offerSeconds');
  }
  if (
    input.maxAwayMinutes !== undefined &&
    input.maxAwayMinutes !== null &&
    (shift.maxAwayMinutes === null || input.maxAwayMinutes < shift.maxAwayMinutes)
  ) {
    unsafe.push('maxAwayMinutes');
  }
  const rate = input.ratePerTicket;
  if (rate && (rate.currency !== shift.rateCurrency || rate.amountMinor < shift.rateAmountMinor)) {
    unsafe.push('ratePerTicket');
  }
  // A higher minimum quality (or one where there was none) could shut out a seat holder.
  if (
    input.minQuality !== undefined &&
    input.minQuality !== null &&
    (shift.minQuality === null || input.minQuality > shift.minQuality)
  ) {
    unsafe.push('minQuality');
  }
  return unsafe;
}
/**
 * Whether the change lets more agents take a seat: more seats, no certification required any
 * more, or a lower minimum quality (or none). Agents in line whom a freed seat passed over (their
 * score fell since they joined) may now be given one.
 */
export function widensSeats(shift: ShiftWithSkills, input: UpdateShiftDto): boolean {
  return (
    (input.seats !== undefined && input.seats > shift.seats) ||
    (input.requiresCertification === false && shift.requiresCertification) ||
    (input.minQuality !== undefined &&
      shift.minQuality !== null &&
      (input.minQuality === null || input.minQuality < shift.minQuality))
  );
}

/**
 * The fields outside SAFE_WITH_CLAIMS sent with the value they already have: a client that
 * sends the whole shift back changes nothing there (it was refused with seats taken, and it
 * emptied the waitlist without).
 */
function unchangedFields(shift: ShiftWithSkills, input: UpdateShiftDto): Set<string> {
  const sameSet = (a: string[], b: string[]) =>
    a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
  const skills = (list: { skill: string; minLevel: number }[]) =>
    list.map((r) => `${r.skill}:${r.minLevel}`);
  const same: Record<string, boolean> = {
    startsAt: input.startsAt !== undefined && Date.parse(input.startsAt) === +shift.startsAt,
    endsAt: input.endsAt !== undefined && Date.parse(input.endsAt) === +shift.endsAt,
    languages:
      input.languages !== undefined &&
      sameSet(
        input.languages.map((l) => l.toLowerCase()),
        shift.languages,
      ),
    requiredSkills:
      input.requiredSkills !== undefined &&
      sameSet(skills(input.requiredSkills), skills(shift.requiredSkills)),
    checkInGraceMinutes: input.checkInGraceMinutes === shift.checkInGraceMinutes,
    routing: input.routing === shift.routing,
  };
  return new Set(Object.keys(same).filter((k) => same[k]));
}

/** More seats, a longer window or a higher rate: more to bill, so credit control decides. */
export function enlarges(
  shift: {
    seats: number;
    startsAt: Date;
    endsAt: Date;
    rateAmountMinor: number;
    /** Another currency's amount cannot be compared: any change of currency counts as larger. */
    rateCurrency: string;
    surgeBudgetMinor: number | null;
  },
  input: UpdateShiftDto,
  startsAt: Date,
  endsAt: Date,
): boolean {
  return (
    (input.seats !== undefined && input.seats > shift.seats) ||
    endsAt.getTime() - startsAt.getTime() > shift.endsAt.getTime() - shift.startsAt.getTime() ||
    (input.ratePerTicket !== undefined &&
      (input.ratePerTicket.currency !== shift.rateCurrency ||
        input.ratePerTicket.amountMinor > shift.rateAmountMinor)) ||
    (!!input.surge && input.surge.budgetMinor > (shift.surgeBudgetMinor ?? 0))
  );
}

/** Early access takes its hours and its score together: the one given alone is named. */
export function earlyAccessErrors(input: CreateShiftDto): FieldError[] {
  const hours = input.earlyAccessHours !== undefined;
  const score = input.earlyAccessMinQuality !== undefined;
  if (hours === score) return [];
  const missing = hours ? 'earlyAccessMinQuality' : 'earlyAccessHours';
  return [
    {
      field: missing,
      messages: [
        `${missing} is required with ${hours ? 'earlyAccessHours' : 'earlyAccessMinQuality'}`,
      ],
    },
  ];
}
