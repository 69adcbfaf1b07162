import type { WebClient } from '@slack/web-api';

/**
 * Who may run admin commands: user IDs and user groups from SPOKE_ADMINS.
 * With SPOKE_ADMINS empty, the workspace's own admins and owners (users.info) are the admins.
 */
export class AdminDirectory {
  private readonly users: Set<string>;
  private readonly groups: string[];
  private readonly groupCache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly client: WebClient,
    entries: readonly string[],
    private readonly cacheMs = 60_000,
  ) {
    this.users = new Set(entries.filter((id) => !id.startsWith('S')));
    this.groups = entries.filter((id) => id.startsWith('S'));
  }

  async isAdmin(userId: string): Promise<boolean> {
    if (this.users.has(userId)) return true;
    for (const group of this.groups) {
      if ((await this.members(group)).has(userId)) return true;
    }
    if (this.users.size > 0 || this.groups.length > 0) return false;
    const info = await this.client.users.info({ user: userId });
    return Boolean(info.user && !info.user.deleted && (info.user.is_admin || info.user.is_owner));
  }

  /**
   * The admins SPOKE_ADMINS names, user groups expanded, to tell of something only they can fix.
   * Empty when it names none: the workspace's admins cannot be listed without reading every user.
   */
  async named(): Promise<string[]> {
    const members = await Promise.all(this.groups.map((group) => this.members(group)));
    return [...new Set([...this.users, ...members.flatMap((m) => [...m])])];
  }

  /**
   * Who the admins are, for a refusal to name: mentions of the configured users and groups
   * (mrkdwn), or, for plain text such as a modal error, just what kind of people they are.
   */
  describe(options: { plain?: boolean } = {}): string {
    if (this.users.size === 0 && this.groups.length === 0) return 'workspace admins and owners';
    if (options.plain) return 'spokebot admins';
    const named = [...[...this.users].map((id) => `<@${id}>`), ...this.groups.map((id) => `<!subteam^${id}>`)];
    const shown = named.slice(0, 5).join(', ');
    return `spokebot admins (${shown}${named.length > 5 ? ` and ${named.length - 5} more` : ''})`;
  }

  private async members(group: string): Promise<Set<string>> {
    const cached = this.groupCache.get(group);
    if (cached && cached.until > Date.now()) return cached.members;
    const result = await this.client.usergroups.users.list({ usergroup: group });
    const members = new Set(result.users ?? []);
    this.groupCache.set(group, { members, until: Date.now() + this.cacheMs });
    return members;
  }
}
