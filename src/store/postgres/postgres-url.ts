/**
 * SPOKE_DATABASE_URL as it may be shown: in logs, errors and hints. A connection URL may carry
 * the role's password (`postgres://user:secret@host/db`, or `?password=` in its query), and
 * nothing spokebot prints may.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparseable: it may be anything, a password included; say where it came from instead.
    return 'the database SPOKE_DATABASE_URL names';
  }
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key/i.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}
