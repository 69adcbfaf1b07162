import type { BackgroundTasks } from '../background-tasks.js';
import type { DoctorOutcome } from '../doctor/doctor.js';
import type { Logger } from '../logger.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import type { RequestService } from '../requests/request-service.js';
import type { AdoptionService } from '../setup/adoption-service.js';
import type { ConnectionService } from '../setup/connection-service.js';
import type { SetupService } from '../setup/setup-service.js';
import type { WorkLeases } from '../setup/work-leases.js';
import type { SpokeStore } from '../store/spoke-store.js';
import type { AdminDirectory } from './admin-directory.js';
import type { DmThreads } from './dm-threads.js';
import type { UserZones } from './user-zones.js';

/** What every Slack listener may use; built once in app.ts. */
export interface SlackDeps {
  logger: Logger;
  store: SpokeStore;
  setup: SetupService;
  connections: ConnectionService;
  monitor: HealthMonitor;
  adoption: AdoptionService;
  requests: RequestService;
  /** Who decides access requests (SPOKE_APPROVERS, or workspace admins and owners). */
  approvers: AdminDirectory;
  approvalChannel: string | undefined;
  admins: AdminDirectory;
  tasks: BackgroundTasks;
  /** Leases on work that runs after the ack, so a replica that dies leaves it to another. */
  work: WorkLeases;
  threads: DmThreads;
  instanceUrl: string;
  siteAllowlist: readonly string[];
  consentTimeoutMs: number;
  /** Each person's time zone (Slack's tz): the dates they type are days in their calendar. */
  zones: UserZones;
  now: () => Date;
  /** Runs the deployment checks of `spokebot doctor` with the bot's own configuration. */
  doctor: () => Promise<DoctorOutcome>;
}
