import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Actor, Role } from './actor';

export const IS_PUBLIC_KEY = 'handoff:isPublic';
export const ROLES_KEY = 'handoff:roles';
export const RECENT_SIGN_IN_KEY = 'handoff:recentSignIn';

/** Opts a route out of the global authentication guard. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * Restricts a route to these roles. Without it any signed-in user may call the route, and a bot
 * (API key) may call only routes that list 'bot'.
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/**
 * The route hands out lasting access (a key, a destination for data or money): a user's token
 * must come from a login that proved its password within RECENT_SIGN_IN_MINUTES, or the call is
 * refused 403 RECENT_SIGN_IN_REQUIRED (RolesGuard). A stolen access token or refresh cookie then
 * cannot turn into access that outlives the password's change.
 */
export const RecentSignIn = () => SetMetadata(RECENT_SIGN_IN_KEY, true);

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ user: Actor }>().user;
});
