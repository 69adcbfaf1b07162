import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { SETUP_BLOCK } from '../../src/slack/ids.js';
import { setupWith } from './setup-steps.js';
import { CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, type World } from './world.js';

/** A Jira API-token connection, set up through Slack as an admin would. */
export async function apiTokenConnection(world: World, o: { name: string; email: string; token: string; expiresOn: string; site?: string }): Promise<void> {
  await setupWith(
    world,
    'jira',
    'api_token',
    {
      [SETUP_BLOCK.connectionName]: o.name,
      [SETUP_BLOCK.site]: o.site ?? world.site.url,
      [SETUP_BLOCK.channel]: REPORT_CHANNEL,
      [SETUP_BLOCK.email]: o.email,
      [SETUP_BLOCK.apiToken]: o.token,
      [SETUP_BLOCK.tokenExpiry]: o.expiresOn,
      [SETUP_BLOCK.tokenScoped]: [],
    },
    /is connected/,
  );
  await world.bot.tasks.idle();
}

/** A Jira service-account connection with the catalogue's scopes. */
export async function serviceAccountConnection(world: World, name: string): Promise<void> {
  await setupWith(
    world,
    'jira',
    'service_account',
    { [SETUP_BLOCK.connectionName]: name, [SETUP_BLOCK.site]: world.site.url, [SETUP_BLOCK.channel]: REPORT_CHANNEL, [SETUP_BLOCK.clientId]: CLIENT_ID, [SETUP_BLOCK.clientSecret]: CLIENT_SECRET, [SETUP_BLOCK.scopes]: SPOKES.jira.serviceAccountScopes.join(' ') },
    /is connected/,
  );
  await world.bot.tasks.idle();
}
