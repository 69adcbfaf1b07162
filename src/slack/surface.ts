/**
 * What the app registers with Slack. manifest.yml must declare exactly these, and a test
 * holds the two together, so a new command or event cannot ship without its manifest entry.
 */
export const SLASH_COMMAND = '/spoke';

export const APP_HOME_OPENED = 'app_home_opened';

export const SUBSCRIBED_BOT_EVENTS = [APP_HOME_OPENED] as const;

/** Bot scopes the code really calls for (see each Web API method's "required scopes"). */
export const BOT_SCOPES = [
  'commands', // the /spoke slash command
  'chat:write', // chat.postMessage, chat.update, chat.postEphemeral
  'chat:write.public', // report to a public channel the bot was not invited to
  'im:write', // conversations.open for the setup thread in the admin's DM
  'users:read', // users.info: workspace admin / owner fallback
  'usergroups:read', // usergroups.users.list: admins named by a user group
  'channels:read', // conversations.info: the doctor checks a public approval channel exists and the bot can post
  'groups:read', // conversations.info on a private approval channel the bot was invited to
] as const;
