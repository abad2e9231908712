import { createAppAuth } from '@octokit/auth-app';
import * as z from 'zod';
import { WebhookHookSchema } from '../../shared/config.ts';
import { gitHub, projectsStore } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { ENV, requireEnv, requirePositiveInt, requireSetting } from '../../shared/environment.ts';
import { GitHubApp } from '../../shared/github/app.ts';
import { GitHub, gitHubOptions } from '../../shared/github/client.ts';
import { githubAppPrivateKey } from '../../shared/github/token.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { RedeliveryRequestsStore } from '../../shared/store/redelivery-requests-store.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { hookConfirmations } from '../../shared/webhooks/hook-confirmations.ts';
import { clientForHook, hookDeliveriesApi } from '../../shared/webhooks/hook-deliveries-api.ts';
import { REDELIVERY_ENV, redeliverFailed } from '../../shared/webhooks/redeliver-failed.ts';

const hooks = requireSetting(REDELIVERY_ENV.hooks, z.array(WebhookHookSchema));
const access = gitHub();
let appClient: Promise<InstanceType<typeof GitHub>> | undefined;
/** The app's own client (its JWT, minted by auth-app for each request), for the app's webhook; built on first use. */
function appClientOf(): Promise<InstanceType<typeof GitHub>> {
  appClient ??= githubAppPrivateKey().then(
    (privateKey) =>
      new GitHub({
        ...gitHubOptions(requireEnv(ENV.githubApiUrl)),
        authStrategy: createAppAuth,
        auth: { appId: requirePositiveInt(ENV.githubAppId), privateKey },
      }),
  );
  return appClient;
}
/** With a GitHub App, the installations: each repository's or organization's hook is read through the one on it. */
const installations = process.env[ENV.githubAppId]
  ? new GitHubApp({ baseUrl: requireEnv(ENV.githubApiUrl), appId: requirePositiveInt(ENV.githubAppId), privateKey: githubAppPrivateKey })
  : undefined;
const deps = {
  api: hookDeliveriesApi(
    clientForHook({
      forRepository: (fullName) => (installations ? installations.clientFor({ fullName }) : access()),
      forOrg: (org) => (installations ? installations.clientForAccount(org) : access()),
      forApp: appClientOf,
    }),
  ),
  requests: new RedeliveryRequestsStore(documentClient, requireEnv(WEBHOOK_ENV.deliveriesTable)),
};
const projects = projectsStore();

/**
 * "Redeliver Failed Webhooks": has GitHub redeliver, once each, the configured hooks' failed deliveries of the last 3 days;
 * a hook with none outstanding confirms its projects as of the run's time.
 */
export const handler = workStepHandler(async ({ now }) => {
  const outcome = await redeliverFailed({ ...deps, confirmations: hookConfirmations(projects) }, hooks, now);
  return {
    recordsProcessed: outcome.requested,
    recordsFailed: outcome.refused.length,
    summary:
      `webhooks: ${outcome.listed} deliveries of ${outcome.hooks} hooks in the last 3 days, ${outcome.failed} failed, ` +
      `${outcome.requested} redelivered now, ${outcome.alreadyRequested} already asked for, ` +
      `${outcome.refused.length} refused by GitHub, ${outcome.retryLater} left for the next run; ` +
      `${outcome.confirmed} project(s) confirmed by a hook with nothing outstanding`,
  };
});
