import { Navigate, Outlet, useLocation, useSearchParams } from 'react-router';
import { useSession } from '../api/session-context';
import { RolePendingPage } from '../pages/role-pending-page';
import { Loading } from '../ui/loading';
import { homeOf } from './nav';

/**
 * Only paths of this console (`next` comes from the URL, so never another site), and only in
 * the area of the role now signed in: the page someone else was on when their session ended
 * is not this user's ("Not your page" instead of their home).
 */
const safeNext = (next: string | null, home: string) => {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return null;
  const area = home.split('/')[1];
  return next.split(/[/?#]/)[1] === area ? next : null;
};

/** Signed-in users only: anyone else goes to /sign-in, and comes back here after. */
export function RequireSignedIn() {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') return <Loading label="Restoring your session" />;
  if (status === 'signed-out') {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

/**
 * One role's pages: anyone else sees that the page is not theirs (with a way home), never the
 * page itself (the API would refuse its calls anyway).
 */
export function RequireRole({ role }: { role: 'agent' | 'company_admin' | 'finance' | 'admin' }) {
  const { user } = useSession();
  return user?.role === role ? <Outlet /> : <RolePendingPage />;
}

/** Sign-in and sign-up: once signed in, go where the user was going, or home. */
export function RequireSignedOut() {
  const { status, user } = useSession();
  const [params] = useSearchParams();
  if (status === 'loading') return <Loading label="Restoring your session" />;
  if (status === 'signed-in') {
    const home = homeOf(user?.role);
    return <Navigate to={safeNext(params.get('next'), home) ?? home} replace />;
  }
  return <Outlet />;
}

/** `/`: home for the signed in, the sign-in page for everyone else. */
export function HomeRedirect() {
  const { status, user } = useSession();
  if (status === 'loading') return <Loading label="Restoring your session" />;
  return <Navigate to={status === 'signed-in' ? homeOf(user?.role) : '/sign-in'} replace />;
}
