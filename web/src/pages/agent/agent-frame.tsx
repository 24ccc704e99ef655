import { Outlet, useMatch } from 'react-router';
import { OffersPanel } from './offers-panel';

/**
 * Every agent page: the page, with the agent's pending offers above it wherever it is but the
 * desk (which lists them in its own section).
 */
export default function AgentFrame() {
  const onDesk = useMatch('/agent/desk') !== null;
  return (
    <>
      {!onDesk && <OffersPanel elsewhere />}
      <Outlet />
    </>
  );
}
