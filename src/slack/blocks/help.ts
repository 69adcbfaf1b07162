import { SLASH_COMMAND } from '../surface.js';

export function helpText(): string {
  return [
    `*${SLASH_COMMAND}* connects ServiceNow to Atlassian Cloud and keeps watch over the connection.`,
    `• \`${SLASH_COMMAND} setup confluence\` (or \`jira\`, \`jsm\`): connect a spoke over OAuth 2.0 (admins)`,
    `• \`${SLASH_COMMAND} help\`: this message`,
  ].join('\n');
}
