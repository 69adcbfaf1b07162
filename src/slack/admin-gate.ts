import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from './deps.js';
import { tellUser, type Recipient } from './tell-user.js';

export type AdminVerdict = 'admin' | 'not_admin' | 'unknown';

/**
 * Whether `userId` is an admin now, asked at the moment of each action: a form or a button
 * outlives the check made when it was handed out, and a submission can be replayed with
 * someone else's view id. When the directory cannot answer within `deadlineMs` (Slack slow
 * or refusing users.info), the answer is 'unknown', which every caller treats as a refusal.
 */
export async function adminVerdict(deps: Pick<SlackDeps, 'admins'>, userId: string, deadlineMs = 2000): Promise<AdminVerdict> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<AdminVerdict>((resolve) => {
    timer = setTimeout(() => resolve('unknown'), deadlineMs);
  });
  const asked = deps.admins.isAdmin(userId).then(
    (yes): AdminVerdict => (yes ? 'admin' : 'not_admin'),
    (): AdminVerdict => 'unknown',
  );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The sentence a refusal says: who may do it, or that spokebot could not tell. */
export function refusalText(deps: Pick<SlackDeps, 'admins'>, verdict: AdminVerdict, doing: string, options: { plain?: boolean } = {}): string {
  if (verdict === 'unknown') return `spokebot could not check with Slack whether you are an admin, so it did not ${doing}. Try again in a minute.`;
  const ask = options.plain ? 'Ask one of them, or request access with /spoke request.' : 'Ask one of them, or request access with `/spoke request`.';
  return `Only ${deps.admins.describe(options)} can ${doing}. ${ask}`;
}

/**
 * For buttons and redraws: true for an admin; otherwise the refusal is audited (`action`,
 * outcome refused) and told to the person through tell-user's paths, and false comes back.
 */
export async function adminOrRefuse(
  deps: Pick<SlackDeps, 'admins' | 'store' | 'logger'>,
  client: WebClient,
  to: Recipient,
  o: { action: string; doing: string; connection?: string; setupId?: string },
): Promise<boolean> {
  const verdict = await adminVerdict(deps, to.userId);
  if (verdict === 'admin') return true;
  await deps.store.audit({
    actor: to.userId,
    action: o.action,
    outcome: 'refused',
    ...(o.connection ? { connection: o.connection } : {}),
    ...(o.setupId ? { setupId: o.setupId } : {}),
    detail: { reason: verdict === 'unknown' ? 'admin directory did not answer' : 'not an admin' },
  });
  await tellUser(client, to, { text: `:no_entry: ${refusalText(deps, verdict, o.doing)}` }, { logger: deps.logger });
  return false;
}
