import type { Config } from '../config.js';
import { CONFLUENCE_GROUPS, SERVICENOW_COLUMNS, SERVICENOW_ROLE_FOR_TABLE, SERVICENOW_TABLES, SPOKES, SPOKE_IDS, type ServiceNowTable } from '../core/spoke-catalogue.js';
import { SpokeError } from '../errors.js';
import { findConfluenceGroupsTable } from '../servicenow/confluence-groups-table.js';
import { ServiceNowForbiddenError, ServiceNowUnauthorizedError } from '../servicenow/errors.js';
import { findShippedAlias } from '../servicenow/shipped-alias.js';
import type { ServiceNowTableClient } from '../servicenow/table-client.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';

export interface ServiceNowCheckDeps {
  config: Config;
  client: ServiceNowTableClient;
}

const AREA = 'ServiceNow';

/**
 * ServiceNow as the bot will meet it: reachable, the integration user accepted, every table
 * readable and its roles enough to write, every table and column the bot names present in this
 * instance's dictionary, each spoke's alias installed, and the Confluence Groups table found.
 * The first request proves the user; the rest run at once.
 */
export async function serviceNowChecks({ config, client }: ServiceNowCheckDeps): Promise<CheckResult[]> {
  const instance = await checkInstance(config, client);
  if (instance.status === 'fail') return [instance];
  const groups = await Promise.all([
    checkDictionary(client),
    Promise.all(SERVICENOW_TABLES.map((table) => checkRead(client, table))),
    checkRoles(config, client),
    Promise.all(SPOKE_IDS.map((id) => checkAlias(client, id))),
    checkConfluenceGroups(client),
  ]);
  return [instance, ...groups.flat()];
}

async function checkInstance(config: Config, client: ServiceNowTableClient): Promise<CheckResult> {
  const url = config.SERVICENOW_INSTANCE_URL;
  const plain = new URL(url).protocol === 'http:';
  try {
    await client.findRecords('sys_db_object', { name: 'oauth_entity' }, { fields: ['name'], limit: 1 });
  } catch (error) {
    if (error instanceof ServiceNowUnauthorizedError) {
      const who = config.SERVICENOW_TOKEN ? 'SERVICENOW_TOKEN' : 'SERVICENOW_USERNAME / SERVICENOW_PASSWORD';
      return fail(AREA, 'integration user', `${url} refused the integration user (HTTP 401)`, `check ${who}; the user needs "Web service access only" or a password that works for basic auth`);
    }
    if (error instanceof ServiceNowForbiddenError) {
      return fail(AREA, 'integration user', 'the integration user may not read sys_db_object (the dictionary)', 'give it the admin role (spokebot reads sys_db_object and sys_dictionary to prove every column it uses)');
    }
    return fail(AREA, 'instance', `${url} did not answer: ${reason(error)}`, 'check SERVICENOW_INSTANCE_URL, the network and that the instance is awake (developer instances hibernate)');
  }
  if (plain) return warn(AREA, 'instance', `${url} answers, but over plain HTTP`, 'use the https:// URL of the instance; plain HTTP is only for local stand-ins');
  return ok(AREA, 'instance', `${url} answers over TLS and accepts the integration user`);
}

/** Every table and column the bot names, against sys_db_object and sys_dictionary. */
async function checkDictionary(client: ServiceNowTableClient): Promise<CheckResult[]> {
  const schema = client.schema;
  if (schema === undefined) return [warn(AREA, 'dictionary', 'column checks are off in this client', 'build the table client with checkColumns on')];
  try {
    await schema.preload(SERVICENOW_TABLES);
    const gaps = await Promise.all(SERVICENOW_TABLES.map(async (table) => ({ table, missing: await schema.missing(table, SERVICENOW_COLUMNS[table]) })));
    return gaps.map(({ table, missing }) => {
      if (missing.length === 0) return ok(AREA, `table ${table}`, `present with the ${SERVICENOW_COLUMNS[table].length} columns spokebot uses`);
      if (missing.some((gap) => gap.column === '')) return fail(AREA, `table ${table}`, `this instance has no table ${table}`, 'activate the plugin that provides it (OAuth 2.0 and Integration Hub / Connections & Credentials)');
      const columns = missing.map((gap) => `${gap.table}.${gap.column}`).join(', ');
      return fail(AREA, `table ${table}`, `missing in sys_dictionary: ${columns}`, 'upgrade or repair the plugin that owns the table; spokebot refuses to query or write a column the instance lacks (ServiceNow would silently drop it)');
    });
  } catch (error) {
    return [fail(AREA, 'dictionary', `sys_db_object / sys_dictionary could not be read: ${reason(error)}`, hint(error, 'give the integration user the admin role'))];
  }
}

async function checkRead(client: ServiceNowTableClient, table: ServiceNowTable): Promise<CheckResult> {
  try {
    await client.findRecords(table, {}, { fields: ['sys_id'], limit: 1 });
    return ok(AREA, `read ${table}`, 'the integration user may read it');
  } catch (error) {
    if (error instanceof ServiceNowForbiddenError) {
      return fail(AREA, `read ${table}`, `the integration user may not read ${table}`, `grant it the ${SERVICENOW_ROLE_FOR_TABLE[table]} role (or admin)`);
    }
    // A missing table or column is the dictionary check's line; say it once.
    if (error instanceof SpokeError && /missing_(table|column)/.test(error.code)) return warn(AREA, `read ${table}`, 'not tried: see the dictionary lines', error.hint);
    return fail(AREA, `read ${table}`, reason(error), hint(error, 'check the instance answers'));
  }
}

/**
 * Writing cannot be tried without writing, so the integration user's roles are read instead:
 * admin covers every table; otherwise each table's role must be there.
 */
async function checkRoles(config: Config, client: ServiceNowTableClient): Promise<CheckResult> {
  const user = config.SERVICENOW_USERNAME;
  if (!user) return warn(AREA, 'write access', 'a bearer token does not say which user it is, so its roles were not read', 'make sure the token\'s user has admin, or oauth_admin, credential_admin and connection_admin');
  try {
    const rows = await client.findRecords('sys_user_has_role', { 'user.user_name': user }, { fields: ['role.name'], limit: 500 });
    const roles = new Set(rows.map((row) => String(row['role.name'])));
    if (roles.has('admin')) return ok(AREA, 'write access', `${user} has the admin role`);
    const needed = [...new Set(Object.values(SERVICENOW_ROLE_FOR_TABLE))].filter((role) => !roles.has(role));
    if (needed.length === 0) return ok(AREA, 'write access', `${user} has every role spokebot writes with`);
    return fail(AREA, 'write access', `${user} lacks ${needed.join(', ')}`, `grant ${needed.join(', ')} (creating a child alias needs admin)`);
  } catch (error) {
    return warn(AREA, 'write access', `the user's roles could not be read: ${reason(error)}`, 'let the integration user read sys_user_has_role, or check its roles by hand: admin, or oauth_admin, credential_admin and connection_admin');
  }
}

async function checkAlias(client: ServiceNowTableClient, id: (typeof SPOKE_IDS)[number]): Promise<CheckResult> {
  const spoke = SPOKES[id];
  try {
    const alias = await findShippedAlias(client, spoke);
    if (alias) return ok(AREA, `${spoke.label} spoke`, `alias "${String(alias.name)}" (${String(alias.id)}) installed`);
    return fail(AREA, `${spoke.label} spoke`, `no connection alias named "${spoke.aliasName}" or with an id ending ".${spoke.aliasIdSuffix}"`, `install the ${spoke.label} spoke from the ServiceNow Store (or activate its plugin) before setting up ${spoke.label} connections`);
  } catch (error) {
    return fail(AREA, `${spoke.label} spoke`, `aliases could not be read: ${reason(error)}`, hint(error, 'check the read access lines'));
  }
}

async function checkConfluenceGroups(client: ServiceNowTableClient): Promise<CheckResult> {
  try {
    const table = await findConfluenceGroupsTable(client);
    if (table) return ok(AREA, 'Confluence Groups', `table ${table.table} (group name in ${table.nameColumn}, alias in ${table.aliasColumn})`);
    return warn(AREA, 'Confluence Groups', `no "${CONFLUENCE_GROUPS.labels[0]}" table in scope ${CONFLUENCE_GROUPS.scopes.join(' or ')}`, `approved groups will have to be added by hand: ${CONFLUENCE_GROUPS.menuPath}`);
  } catch (error) {
    return warn(AREA, 'Confluence Groups', `the table could not be looked up: ${reason(error)}`, `approved groups will have to be added by hand: ${CONFLUENCE_GROUPS.menuPath}`);
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hint(error: unknown, fallback: string): string {
  return error instanceof SpokeError ? error.hint : fallback;
}
