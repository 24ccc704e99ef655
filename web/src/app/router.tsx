import { lazy } from 'react';
import { createBrowserRouter, Navigate, Outlet } from 'react-router';
import { RolePendingPage } from '../pages/role-pending-page';
import { HomeRedirect, RequireRole, RequireSignedIn, RequireSignedOut } from './guards';
import { AppLayout } from './layout';
import { PublicLayout } from './public-layout';
import { RouteError } from './route-error';

// One chunk per page: the first load carries the shell, the session and the sign-in page only.
const SignInPage = lazy(() => import('../pages/auth/sign-in-page'));
const SignUpPage = lazy(() => import('../pages/auth/sign-up-page'));
const NotFoundPage = lazy(() => import('../pages/not-found-page'));
const AgentFrame = lazy(() => import('../pages/agent/agent-frame'));
const DeskPage = lazy(() => import('../pages/agent/desk-page'));
const TicketPage = lazy(() => import('../pages/agent/ticket-page'));
const ShiftsPage = lazy(() => import('../pages/agent/shifts-page'));
const SeatsPage = lazy(() => import('../pages/agent/seats-page'));
const EarningsPage = lazy(() => import('../pages/agent/earnings-page'));
const QualityPage = lazy(() => import('../pages/agent/quality-page'));
const ProfilePage = lazy(() => import('../pages/agent/profile-page'));
const PayoutReturnPage = lazy(() => import('../pages/agent/payout-return-page'));
const QueuePage = lazy(() => import('../pages/company/queue-page'));
const CompanyTicketPage = lazy(() => import('../pages/company/ticket-page'));
const CompanyShiftsPage = lazy(() => import('../pages/company/shifts-page'));
const StatementPage = lazy(() => import('../pages/company/statement-page'));
const IntegrationPage = lazy(() => import('../pages/company/integration-page'));
const CompanyAgentsPage = lazy(() => import('../pages/company/agents-page'));
const BillingPage = lazy(() => import('../pages/company/billing-page'));
const RunsPage = lazy(() => import('../pages/finance/runs-page'));
const RunPage = lazy(() => import('../pages/finance/run-page'));
const AdjustmentsPage = lazy(() => import('../pages/finance/adjustments-page'));
const LedgerPage = lazy(() => import('../pages/finance/ledger-page'));
const ReceivablesPage = lazy(() => import('../pages/finance/receivables-page'));
const AdminAgentsPage = lazy(() => import('../pages/admin/agents-page'));
const SkillsPage = lazy(() => import('../pages/admin/skills-page'));
const StaffPage = lazy(() => import('../pages/admin/staff-page'));
const ReviewDisputesPage = lazy(() => import('../pages/admin/review-disputes-page'));
const AccountPage = lazy(() => import('../pages/account/account-page'));

const routes = [
  { index: true, element: <HomeRedirect /> },
  {
    element: <RequireSignedOut />,
    children: [
      {
        element: <PublicLayout />,
        children: [
          { path: 'sign-in', element: <SignInPage /> },
          { path: 'sign-up', element: <SignUpPage /> },
          { path: 'sign-up/company', element: <SignUpPage company /> },
        ],
      },
    ],
  },
  {
    element: <RequireSignedIn />,
    children: [
      {
        element: <AppLayout />,
        children: [
          { path: 'welcome', element: <RolePendingPage /> },
          // Every role's: the person's own account (their password).
          { path: 'account', element: <AccountPage /> },
          {
            path: 'agent',
            element: <RequireRole role="agent" />,
            children: [
              { index: true, element: <Navigate to="desk" replace /> },
              {
                // Offers show on every agent page (AgentFrame), not only on the desk.
                element: <AgentFrame />,
                children: [
                  { path: 'desk', element: <DeskPage /> },
                  { path: 'tickets/:id', element: <TicketPage /> },
                  { path: 'shifts', element: <ShiftsPage /> },
                  { path: 'seats', element: <SeatsPage /> },
                  { path: 'earnings', element: <EarningsPage /> },
                  { path: 'quality', element: <QualityPage /> },
                  { path: 'profile', element: <ProfilePage /> },
                  // Where Stripe sends the agent back: ?onboarding=return, or =refresh.
                  { path: 'payouts', element: <PayoutReturnPage /> },
                ],
              },
            ],
          },
          {
            path: 'company',
            element: <RequireRole role="company_admin" />,
            children: [
              { index: true, element: <Navigate to="queue" replace /> },
              { path: 'queue', element: <QueuePage /> },
              { path: 'tickets/:id', element: <CompanyTicketPage /> },
              { path: 'shifts', element: <CompanyShiftsPage /> },
              { path: 'integration', element: <IntegrationPage /> },
              { path: 'statement', element: <StatementPage /> },
              { path: 'agents', element: <CompanyAgentsPage /> },
              // Where Stripe Checkout sends the admin back: ?setup=done, or =cancelled.
              { path: 'billing', element: <BillingPage /> },
            ],
          },
          {
            path: 'finance',
            element: <RequireRole role="finance" />,
            children: [
              { index: true, element: <Navigate to="runs" replace /> },
              { path: 'runs', element: <RunsPage /> },
              { path: 'runs/:id', element: <RunPage /> },
              { path: 'adjustments', element: <AdjustmentsPage /> },
              { path: 'receivables', element: <ReceivablesPage /> },
              { path: 'ledger', element: <LedgerPage /> },
            ],
          },
          {
            // The admin's pages; /admin is the queue dashboard's, served by the API.
            path: 'platform',
            element: <RequireRole role="admin" />,
            children: [
              { index: true, element: <Navigate to="agents" replace /> },
              { path: 'agents', element: <AdminAgentsPage /> },
              { path: 'skills', element: <SkillsPage /> },
              { path: 'staff', element: <StaffPage /> },
              { path: 'reviews', element: <ReviewDisputesPage /> },
            ],
          },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];

export const router = createBrowserRouter([
  { element: <Outlet />, errorElement: <RouteError />, children: routes },
]);
