import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { SERVICENOW_TABLES } from '../core/spoke-catalogue.js';
import type { Logger } from '../logger.js';
import { ServiceNowTableClient, type TableClientOptions } from './table-client.js';

export interface ServiceNowTuning {
  serviceNowMaxRetries?: number;
  serviceNowRetryDelayMs?: number;
  dispatcher?: Dispatcher;
}

/**
 * The Table API client as the bot, the doctor and the start-up gate build it from config: one
 * place for the instance, the integration user and the tables read from the dictionary together.
 */
export function serviceNowClientFromConfig(config: Config, logger: Logger, tuning: ServiceNowTuning = {}, overrides: Partial<TableClientOptions> = {}): ServiceNowTableClient {
  return new ServiceNowTableClient({
    instanceUrl: config.SERVICENOW_INSTANCE_URL,
    auth: { username: config.SERVICENOW_USERNAME, password: config.SERVICENOW_PASSWORD, token: config.SERVICENOW_TOKEN },
    logger: logger.child({ component: 'servicenow' }),
    timeoutMs: config.SERVICENOW_TIMEOUT,
    knownTables: SERVICENOW_TABLES,
    ...(tuning.serviceNowMaxRetries !== undefined ? { maxRetries: tuning.serviceNowMaxRetries } : {}),
    ...(tuning.serviceNowRetryDelayMs !== undefined ? { minRetryDelayMs: tuning.serviceNowRetryDelayMs } : {}),
    ...(tuning.dispatcher ? { dispatcher: tuning.dispatcher } : {}),
    ...overrides,
  });
}
