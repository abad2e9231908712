/**
 * GitHub's webhook deliveries API for the three kinds of hook: a repository's (`/repos/{owner}/{repo}/hooks/{id}`),
 * an organization's (`/orgs/{org}/hooks/{id}`) and a GitHub App's (`/app/hook`, with the app's JWT). Listing pages
 * through the Link header's `cursor`; a redelivery request is `POST .../deliveries/{delivery_id}/attempts` (202).
 */
import type { WebhookHook } from '../config.ts';
import type { GitHub } from '../github/client.ts';
import type { HookDeliveriesApi, ListedDelivery } from './redeliver-failed.ts';

type Octokit = InstanceType<typeof GitHub>;

/** The deliveries path of a hook. */
export function deliveriesPathOf(hook: WebhookHook): string {
  if ('repository' in hook) return `/repos/${hook.repository}/hooks/${hook.id}/deliveries`;
  if ('org' in hook) return `/orgs/${encodeURIComponent(hook.org)}/hooks/${hook.id}/deliveries`;
  return '/app/hook/deliveries';
}

/** The clients a hook's deliveries are read and redelivered with, by whose hook it is. */
export interface HookClients {
  /** A repository's: with a GitHub App, the client of the installation that sees the repository. */
  forRepository(fullName: string): Promise<Octokit>;
  /** An organization's: with a GitHub App, the client of the installation on the organization. */
  forOrg(org: string): Promise<Octokit>;
  /** The app's own, with its JWT: `/app/hook/deliveries` takes no installation token (docs.github.com/rest/apps/webhooks). */
  forApp(): Promise<Octokit>;
}

/**
 * The client for a hook: a repository's or an organization's hook needs the webhooks permission on that repository or
 * organization, which with a GitHub App only the installation on it has (another installation is answered 404); the
 * app's hook needs the app's JWT, whatever the installations.
 */
export function clientForHook(clients: HookClients): (hook: WebhookHook) => Promise<Octokit> {
  return (hook) =>
    'app' in hook ? clients.forApp() : 'repository' in hook ? clients.forRepository(hook.repository) : clients.forOrg(hook.org);
}

/**
 * @param clientFor the client a hook's requests go through (see {@link clientForHook}): a token (or installation) client with the webhooks
 * permission for a repository's or an organization's hook, the app's JWT client for the app's hook.
 */
export function hookDeliveriesApi(clientFor: (hook: WebhookHook) => Promise<Octokit>): HookDeliveriesApi {
  return {
    async *pages(hook) {
      const github = await clientFor(hook);
      // GitHub's maximum page: the window is read in as few requests as it allows.
      const pages = github.paginate.iterator(`GET ${deliveriesPathOf(hook)}`, { per_page: 100 });
      for await (const page of pages) yield page.data as ListedDelivery[];
    },
    async redeliver(hook, deliveryId) {
      const github = await clientFor(hook);
      await github.request(`POST ${deliveriesPathOf(hook)}/${deliveryId}/attempts`);
    },
  };
}
