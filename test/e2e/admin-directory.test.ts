import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDirectory } from '../../src/slack/admin-directory.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';

describe('who counts as an admin', () => {
  let slack: SlackStandIn;
  let client: WebClient;
  beforeAll(async () => {
    slack = await startSlackStandIn({
      botToken: 'xoxb-admins',
      users: [
        { id: 'UOWNER', name: 'owner', is_owner: true },
        { id: 'UWSADMIN', name: 'wsadmin', is_admin: true },
        { id: 'UGROUPED', name: 'grouped' },
        { id: 'UPLAIN', name: 'plain' },
      ],
      usergroups: { SPLATFORM: ['UGROUPED'] },
    });
    client = new WebClient('xoxb-admins', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('the users and user-group members named in SPOKE_ADMINS, nobody else', async () => {
    const admins = new AdminDirectory(client, ['UPLAIN', 'SPLATFORM']);
    expect(await admins.isAdmin('UPLAIN')).toBe(true);
    expect(await admins.isAdmin('UGROUPED')).toBe(true);
    expect(await admins.isAdmin('UOWNER')).toBe(false);
    expect(slack.calls.filter((c) => c.method === 'users.info')).toEqual([]);
  });

  it("the workspace's admins and owners when SPOKE_ADMINS is empty", async () => {
    const admins = new AdminDirectory(client, []);
    expect(await admins.isAdmin('UOWNER')).toBe(true);
    expect(await admins.isAdmin('UWSADMIN')).toBe(true);
    expect(await admins.isAdmin('UPLAIN')).toBe(false);
  });

  it('asks Slack for a group once, then remembers it for a while', async () => {
    const admins = new AdminDirectory(client, ['SPLATFORM']);
    const before = slack.calls.filter((c) => c.method === 'usergroups.users.list').length;
    await admins.isAdmin('UGROUPED');
    await admins.isAdmin('UPLAIN');
    expect(slack.calls.filter((c) => c.method === 'usergroups.users.list').length - before).toBe(1);
  });
});
