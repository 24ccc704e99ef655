import { Alert } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { PayoutAccountCard } from './payout-account-card';
import { ProfileForm } from './profile-form';
import { SkillsForm } from './skills-form';
import { useProfile } from './use-profile';

/** Who the agent is for matching (zone, languages, capacity, skills), and how they get paid. */
export default function ProfilePage() {
  const profile = useProfile();
  const skills = useQuery({
    queryKey: keys.mySkills,
    queryFn: () => unwrap(api.GET('/v1/agents/me/skills')),
  });
  if (!profile.data || !skills.data) {
    const error = (!profile.data && profile.error) || (!skills.data && skills.error);
    return error ? <ErrorAlert error={error} /> : <Loading label="Loading your profile" />;
  }
  const missing = [
    profile.data.languages.length === 0 && 'a language you speak',
    skills.data.skills.length === 0 && 'a skill',
  ].filter(Boolean);

  return (
    <Page title="Profile">
      <RefreshFailedAlert error={profile.error ?? skills.error} />
      {profile.data.suspendedAt && (
        <Alert color="red" title="Your account is suspended">
          {profile.data.suspendedReason ?? 'You cannot claim seats or tickets until reinstated.'}
        </Alert>
      )}
      {missing.length > 0 && (
        <Alert color="yellow" title="No shift can match you yet">
          No shift can match you until you add {missing.join(' and ')}: shifts require languages and
          skills at a level.
        </Alert>
      )}
      {/* Remounted (its edits dropped) only when what the API holds changed, as after a save: a
          refetch on focus that brings the same data must not wipe an edit in progress. */}
      <ProfileForm key={JSON.stringify(profile.data)} profile={profile.data} />
      <SkillsForm key={JSON.stringify(skills.data.skills)} skills={skills.data.skills} />
      <PayoutAccountCard />
    </Page>
  );
}
