/**
 * The health-sweep stand-ins in a process of their own: a real ServiceNow and real Atlassian
 * sites are not on the bot's CPU either, so the bot's time is measured without theirs.
 * Prints one JSON line with the URLs and seeded connections; answers "stats" on stdin with the
 * request counts; exits on "exit". Requests are counted, not kept: a sweep of 10,000 connections
 * would otherwise hold every request (headers and all) of both stand-ins in memory.
 */
import { createInterface } from 'node:readline';
import { RECORD_KEYS } from '../src/core/record-keys.js';
import { SPOKES } from '../src/core/spoke-catalogue.js';
import { startAtlassianStandIn } from '../test/standins/atlassian.js';
import { startServiceNowStandIn, type Row, type ServiceNowStandIn } from '../test/standins/servicenow.js';

const [connections = 1000, siteCount = 50, latencyMs = 50] = process.argv.slice(2).map(Number);

function seedConnection(sn: ServiceNowStandIn, name: string, apiUrl: string): Record<string, string> {
  const entity = sn.insert('oauth_entity', { name, client_id: 'id', client_secret: 's', default_grant_type: 'authorization_code', type: 'oauth_provider' });
  const [profile] = sn.rowsWhere('oauth_entity_profile', 'oauth_entity', entity.sys_id!) as [Row];
  for (const scope of SPOKES.confluence.defaultScopes) sn.insert('oauth_entity_scope', { name: scope, oauth_entity_scope: scope, oauth_entity: entity.sys_id! });
  const credential = sn.insert('oauth_2_0_credentials', { name, oauth_entity_profile: profile.sys_id!, active: 'true' });
  const [alias] = sn.rowsWhere('sys_alias', 'name', 'Confluence Cloud') as [Row];
  const connection = sn.insert('http_connection', { name, connection_alias: alias.sys_id!, credential: credential.sys_id!, connection_url: `${apiUrl}/`, active: 'true' });
  const requestor = sn.insert('oauth_requestor_profile', { requestor_id: credential.sys_id!, requestor_context: 'oauth_2_0_credentials', oauth_entity_profile: profile.sys_id! });
  sn.insert('oauth_credential', { type: 'refresh_token', token_received: 'r', oauth_requestor_profile: requestor.sys_id!, peer: entity.sys_id! });
  return {
    [RECORD_KEYS.entity]: entity.sys_id!,
    [RECORD_KEYS.profile]: profile.sys_id!,
    [RECORD_KEYS.credential]: credential.sys_id!,
    [RECORD_KEYS.alias]: alias.sys_id!,
    [RECORD_KEYS.connection]: connection.sys_id!,
  };
}

const sn = await startServiceNowStandIn({ username: 'bench', password: 'bench', requestLog: 'counts' });
const atlassian = await startAtlassianStandIn();
const sites: Awaited<ReturnType<typeof atlassian.createSite>>[] = [];
for (let i = 0; i < siteCount; i++) sites.push(await atlassian.createSite());
const seeded = Array.from({ length: connections }, (_, i) => {
  const site = sites[i % siteCount]!;
  const name = `Confluence ${i}`;
  return { name, siteOrigin: site.url, cloudId: site.cloudId, records: seedConnection(sn, name, atlassian.apiUrl) };
});
// The Atlassian stand-in keeps every request; counted here and let go, every second and on "stats".
let atlassianRequests = 0;
const countAtlassian = (): number => {
  atlassianRequests += atlassian.requests.length;
  atlassian.requests.length = 0;
  return atlassianRequests;
};
setInterval(countAtlassian, 1000).unref();
sn.faults.setLatency(latencyMs);
atlassian.faults.setLatency(latencyMs);
process.stdout.write(`${JSON.stringify({ serviceNowUrl: sn.url, authUrl: atlassian.authUrl, apiUrl: atlassian.apiUrl, connections: seeded })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stats') process.stdout.write(`${JSON.stringify({ requests: sn.requestCounts().total + countAtlassian(), rss: process.memoryUsage().rss, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`);
  if (line === 'exit') break;
}
await Promise.all([sn.close(), atlassian.close()]);
process.exit(0);
