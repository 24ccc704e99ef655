import { Page } from '../../ui/page';
import { PostShiftForm } from './post-shift-form';
import { ShiftsList } from './shifts-list';

/** The company's demand: post a shift (with its cost previewed), and the scheduled ones. */
export default function CompanyShiftsPage() {
  return (
    <Page title="Shifts">
      <PostShiftForm />
      <ShiftsList />
    </Page>
  );
}
