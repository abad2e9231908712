/**
 * Facts about the project the CDK app and the local runtime share, free of the CDK so the local runtime can
 * start without loading it.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CloudFormation stack's name and the CDK app's stack id. */
export const STACK_ID = 'CtoDashboardJobs';

/** The project root: every handler `entry` is relative to it. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Template metadata key naming a function's handler source file. The local runtime reads it to run the same
 * code the deployed function runs.
 */
export const HANDLER_METADATA_KEY = 'cto-jobs:entry';
