import type { HomeView } from '@slack/types';
import type { SlackDeps } from '../deps.js';
import { homePending, homeRequests } from './home-pending.js';
import { homeView } from './home-view.js';

/**
 * One user's App Home, as opening it and every redraw show it: connections, setups in progress
 * for admins, and requests (the open ones for approvers, their own for everyone else).
 */
export async function homeForUser(deps: Pick<SlackDeps, 'store' | 'admins' | 'approvers'>, userId: string): Promise<HomeView> {
  const [isAdmin, isApprover] = await Promise.all([deps.admins.isAdmin(userId), deps.approvers.isAdmin(userId)]);
  return homeView(deps.store, homePending(deps.store, isAdmin), isAdmin, homeRequests(deps.store, userId, isApprover), userId);
}
