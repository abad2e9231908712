import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './metrics.ts';

/** The one structured logger (JSON lines, level from POWERTOOLS_LOG_LEVEL). */
export const logger = new Logger({ serviceName: SERVICE_NAME });
