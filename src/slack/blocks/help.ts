import { SLASH_COMMAND } from '../surface.js';

export function helpText(): string {
  return [
    `*${SLASH_COMMAND}* connects ServiceNow to Atlassian Cloud and keeps watch over the connection.`,
    `• \`${SLASH_COMMAND} setup jira|jsm|confluence\`: connect a spoke with OAuth 2.0, an API token or a service account (admins)`,
    `• \`${SLASH_COMMAND} list [--page N]\`: connections, their aliases, state and next expiry`,
    `• \`${SLASH_COMMAND} status [name]\`: run the health checks now`,
    `• \`${SLASH_COMMAND} rotate <name>\`: a new API token or client secret, or a fresh consent (admins)`,
    `• \`${SLASH_COMMAND} remove <name>\`: deactivate a connection in ServiceNow (admins)`,
    `• \`${SLASH_COMMAND} adopt <site> <name>\`: keep watch over a connection made by hand (admins)`,
    `• \`${SLASH_COMMAND} request\`: ask for a connection, a Confluence group or more scopes`,
    `• \`${SLASH_COMMAND} requests [--page N]\`: open requests (approvers) or your own`,
    `• \`${SLASH_COMMAND} audit [connection] [--since YYYY-MM-DD] [--page N]\`: the audit log (admins)`,
    `• \`${SLASH_COMMAND} doctor\`: check the deployment: Slack token and scopes, ServiceNow, Atlassian, the store (admins)`,
    `• \`${SLASH_COMMAND} help\`: this message`,
  ].join('\n');
}
