import { createAppAuth } from '@octokit/auth-app';
import * as z from 'zod';
import { WebhookHookSchema } from '../../shared/config.ts';
import { gitHub } from '../../shared/dependencies.ts';
import { workStepHandler } from '../../shared/engine/work-step.ts';
import { ENV, requireEnv, requirePositiveInt, requireSetting } from '../../shared/environment.ts';
import { GitHub, gitHubOptions } from '../../shared/github/client.ts';
import { githubAppPrivateKey } from '../../shared/github/token.ts';
import { documentClient } from '../../shared/store/dynamo-client.ts';
import { RedeliveryRequestsStore } from '../../shared/store/redelivery-requests-store.ts';
import { WEBHOOK_ENV } from '../../shared/webhooks/environment.ts';
import { hookDeliveriesApi } from '../../shared/webhooks/hook-deliveries-api.ts';
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
const deps = {
  api: hookDeliveriesApi((hook) => ('app' in hook ? appClientOf() : access())),
  requests: new RedeliveryRequestsStore(documentClient, requireEnv(WEBHOOK_ENV.deliveriesTable)),
};

/** "Redeliver Failed Webhooks": has GitHub redeliver, once each, the configured hooks' failed deliveries of the last 3 days. */
export const handler = workStepHandler(async ({ now }) => {
  const outcome = await redeliverFailed(deps, hooks, now);
  return {
    recordsProcessed: outcome.requested,
    recordsFailed: 0,
    summary:
      `webhooks: ${outcome.listed} deliveries of ${outcome.hooks} hooks in the last 3 days, ${outcome.failed} failed, ` +
      `${outcome.requested} redelivered now, ${outcome.alreadyRequested} already asked for`,
  };
});
