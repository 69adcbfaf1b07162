/** Stand-ins started per test and closed after it, for the stand-ins' own tests. */
import { afterEach } from 'vitest';
import { startAtlassianStandIn, type AtlassianStandIn } from '../standins/atlassian.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';

export const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

export async function serviceNow(): Promise<ServiceNowStandIn & { call: (path: string, init?: RequestInit) => Promise<Response> }> {
  const sn = await startServiceNowStandIn({ username: 'admin', password: 'pw' });
  closers.push(() => sn.close());
  const auth = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${sn.url}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json', ...init.headers },
    });
  return Object.assign(sn, { call });
}

export async function atlassian(): Promise<AtlassianStandIn> {
  const at = await startAtlassianStandIn();
  closers.push(() => at.close());
  return at;
}

export const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
