import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { homeForUser } from '../home/home-for-user.js';
import { APP_HOME_OPENED } from '../surface.js';

export function register(app: App, deps: SlackDeps): void {
  app.event(APP_HOME_OPENED, async ({ event, client }) => {
    // The event also fires for the Messages tab; only the Home tab is ours to publish.
    if (event.tab !== 'home') return;
    await deps.store.rememberHomeViewer(event.user);
    await client.views.publish({ user_id: event.user, view: await homeForUser(deps, event.user) });
  });
}
