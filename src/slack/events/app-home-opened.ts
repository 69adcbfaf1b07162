import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { homePending, homeRequests } from '../home/home-pending.js';
import { homeView } from '../home/home-view.js';
import { APP_HOME_OPENED } from '../surface.js';

export function register(app: App, deps: SlackDeps): void {
  app.event(APP_HOME_OPENED, async ({ event, client }) => {
    // The event also fires for the Messages tab; only the Home tab is ours to publish.
    if (event.tab !== 'home') return;
    await deps.store.rememberHomeViewer(event.user);
    const isAdmin = await deps.admins.isAdmin(event.user);
    const requests = homeRequests(deps.store, event.user, await deps.approvers.isAdmin(event.user));
    await client.views.publish({ user_id: event.user, view: homeView(deps.store, homePending(deps.store, isAdmin), isAdmin, requests) });
  });
}
