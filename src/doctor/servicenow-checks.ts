import type { Config } from '../config.js';
import type { ServiceNowTableClient } from '../servicenow/table-client.js';
import type { CheckResult } from './check-result.js';

export interface ServiceNowCheckDeps {
  config: Config;
  client: ServiceNowTableClient;
}

/** ServiceNow: reachable, user accepted, tables readable and writable, aliases, schema. (Work in progress.) */
export async function serviceNowChecks(_deps: ServiceNowCheckDeps): Promise<CheckResult[]> {
  return [];
}
