import { Tabs } from '@mantine/core';
import { Page } from '../../ui/page';
import { PostShiftForm } from './post-shift-form';
import { ShiftsList } from './shifts-list';
import { ShiftsWeek } from './shifts-week';

/**
 * The company's demand: post a shift (with its cost previewed); the scheduled ones as a list
 * (seats, waitlist, change, cancel) or as a week.
 */
export default function CompanyShiftsPage() {
  return (
    <Page title="Shifts">
      <PostShiftForm />
      <Tabs defaultValue="list" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="list">List</Tabs.Tab>
          <Tabs.Tab value="week">Week</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="list" pt="md">
          <ShiftsList />
        </Tabs.Panel>
        <Tabs.Panel value="week" pt="md">
          <ShiftsWeek />
        </Tabs.Panel>
      </Tabs>
    </Page>
  );
}
