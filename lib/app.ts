import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_CONTEXT_KEY, type Config, parseConfig } from '../shared/config.ts';
import { CtoJobsStack } from './cto-jobs-stack.ts';
import { STACK_ID } from './project.ts';

/**
 * Builds the CDK app: validates the `ctoJobs` context, creates the stack and attaches cdk-nag's
 * AwsSolutions checks. Shared by `bin/app.ts` (cdk synth/deploy) and the local runtime.
 * @throws ConfigError naming every bad key and value.
 */
export function buildApp(props: AppProps & { readonly now: Date }): { app: App; stack: CtoJobsStack; config: Config } {
  const app = new App(props);
  const config = parseConfig(app.node.tryGetContext(CONFIG_CONTEXT_KEY), props.now);
  const stack = new CtoJobsStack(app, STACK_ID, {
    config,
    description: 'cto-dashboard-jobs: scheduled GitHub sync, metrics and CTO report',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
