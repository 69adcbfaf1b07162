/**
 * `npm run audit:export -- [--since YYYY-MM-DD] [--file path]`: the audit log as JSON Lines on
 * stdout. The file defaults to the one beside SPOKE_DB_PATH (from the bot's configuration).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { exportAudit } from '../src/store/audit-export.js';

const { values } = parseArgs({ options: { since: { type: 'string' }, file: { type: 'string' } } });
const file = values.file ?? `${loadConfig().SPOKE_DB_PATH}.audit.jsonl`;
const since = values.since ? new Date(`${values.since}T00:00:00Z`) : undefined;
const count = await exportAudit(file, process.stdout, since);
process.stderr.write(`${count} audit events\n`);
