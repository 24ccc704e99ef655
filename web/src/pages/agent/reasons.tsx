import { List } from '@mantine/core';
import { languageName } from '../../ui/languages';
import { scoreBelow } from '../../ui/percent';
import { formatInstant } from '../../ui/times';
import { useZone } from './use-profile';
import { useSkillNames } from './use-skill-names';

type Reason = Record<string, unknown>;

/**
 * Why the agent may not take a shift or ticket: a reason of NOT_ELIGIBLE (and of the ineligible
 * shifts list), by its code, in words. An unknown code is shown as it comes.
 */
export function useReasonText(): (reason: unknown) => string {
  const skillName = useSkillNames();
  const zone = useZone();
  return (reason: unknown): string => {
    const r = (reason ?? {}) as Reason;
    const skill = skillName(String(r.skill ?? ''));
    switch (r.code) {
      case 'MISSING_SKILL':
        return `Needs ${skill} at level ${r.minLevel}; you do not have this skill`;
      case 'SKILL_LEVEL_TOO_LOW':
        return `Needs ${skill} at level ${r.minLevel}; yours is ${r.level}`;
      case 'MISSING_LANGUAGE':
        return `Needs ${languageName(String(r.language))}`;
      case 'NOT_CERTIFIED':
        return 'Needs the company’s certification';
      case 'QUALITY_TOO_LOW': {
        const shown = scoreBelow(Number(r.minQuality), Number(r.quality));
        return `Needs a quality score of ${shown.bar}; yours is ${shown.score}`;
      }
      case 'EARLY_ACCESS': {
        const shown = scoreBelow(Number(r.minQuality), Number(r.quality));
        return (
          `Early access for a quality score of ${shown.bar} (yours is ${shown.score}) until ` +
          formatInstant(String(r.openToAllAt), zone)
        );
      }
      case 'SUSPENDED':
        return 'Your account is suspended';
      case 'NOT_ON_SHIFT':
        // checkedIn comes only with a seat on a live or coming shift: without it, none is near.
        return r.checkedIn === false
          ? 'Check in on your seat first'
          : r.checkedIn === undefined
            ? 'You are not on a live shift'
            : 'Your shift has not started';
      case 'OFFERED':
        return 'Offered to another agent right now';
      case 'RELEASED_RECENTLY':
        return 'You released it recently';
      default:
        return typeof r.message === 'string' ? r.message : String(r.code ?? 'Unknown reason');
    }
  };
}

/** The reasons, a list named `label`. */
export function Reasons({ reasons, label }: { reasons: unknown[]; label: string }) {
  const text = useReasonText();
  return (
    <List size="sm" aria-label={label}>
      {reasons.map((reason, i) => (
        <List.Item key={i}>{text(reason)}</List.Item>
      ))}
    </List>
  );
}

/** The reasons of a NOT_ELIGIBLE error answer, if it has some. */
export function reasonsOf(details: unknown): unknown[] {
  const reasons = (details as { reasons?: unknown } | null)?.reasons;
  return Array.isArray(reasons) ? reasons : [];
}
