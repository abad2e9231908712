import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured logger (JSON lines, level from POWERTOOLS_LOG_LEVEL). */
export const logger = new Logger({ serviceName: 'cto-dashboard-jobs' });
