import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { homeView } from '../home/home-view.js';

const IN_PROGRESS = new Set(['checking_site', 'site_failed', 'planned', 'writing', 'write_failed', 'awaiting_consent', 'consent_timeout']);

export function register(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    // The event also fires for the Messages tab; only the Home tab is ours to publish.
    if (event.tab !== 'home') return;
    const isAdmin = await deps.admins.isAdmin(event.user);
    const pending = isAdmin ? deps.store.listSetups((s) => IN_PROGRESS.has(s.status)) : [];
    await client.views.publish({ user_id: event.user, view: homeView(deps.store.listConnections(), pending, isAdmin) });
  });
}
