import { Outlet, useLocation } from 'react-router';
import { OffersPanel } from './offers-panel';

/**
 * Every agent page: the page, with the agent's pending offers above it wherever it is but the
 * desk (which lists them in its own section).
 */
export default function AgentFrame() {
  const { pathname } = useLocation();
  return (
    <>
      {pathname !== '/agent/desk' && <OffersPanel elsewhere />}
      <Outlet />
    </>
  );
}
