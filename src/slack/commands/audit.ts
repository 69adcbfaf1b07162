import { SLASH_COMMAND } from '../surface.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/** `/spoke audit [connection] [--since YYYY-MM-DD]`: the latest audit entries, for admins. */
export const audit: Subcommand = async (args, words, deps) => {
  const sinceAt = words.indexOf('--since');
  const sinceText = sinceAt >= 0 ? words[sinceAt + 1] : undefined;
  const since = sinceText ? new Date(`${sinceText}T00:00:00Z`) : undefined;
  if (sinceAt >= 0 && (!since || Number.isNaN(since.getTime()))) {
    await args.ack({ response_type: 'ephemeral', text: `Usage: \`${SLASH_COMMAND} audit [connection] [--since YYYY-MM-DD]\`` });
    return;
  }
  const connection = words.filter((_, i) => sinceAt < 0 || (i !== sinceAt && i !== sinceAt + 1)).join(' ').trim();
  await args.ack();
  if (!(await requireAdmin(args, deps, 'audit', 'read the audit log of'))) return;
  const events = deps.store.auditLog.latest({ ...(connection ? { connection } : {}), ...(since ? { since } : {}), limit: 30 });
  const lines = events.map((e) => `\`${e.at.slice(0, 19).replace('T', ' ')}\` <@${e.actor}> *${e.action}* ${e.outcome}${e.connection ? ` · ${e.connection}` : ''}${e.detail ? ` · ${Object.entries(e.detail).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(' ') : v}`).join(', ')}` : ''}`);
  const text = lines.length ? lines.join('\n') : 'No audit entries match.';
  await args.respond({
    response_type: 'ephemeral',
    text: `Audit log${connection ? ` for ${connection}` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `The full log is JSON Lines at \`${deps.store.auditLog.path}\`; \`spokebot audit export --since YYYY-MM-DD\` (from a clone: \`npm run audit:export -- --since YYYY-MM-DD\`) prints it for a SIEM.` }] },
    ],
  });
};
