/**
 * What the endpoint queues of a verified delivery, and how it is read back: only what the consumer applies, with
 * issues and pull requests already in the shape of GitHub's issues endpoint (so the sync's own mapping applies them).
 * Pure: no SDK imports.
 */
import * as z from 'zod';
import { type GitHubIssue, GitHubIssuePageSchema } from '../domain/work-item.ts';

/** The events the consumer applies; any other is acknowledged and ignored. */
export const APPLIED_EVENTS = ['issues', 'pull_request', 'label', 'repository'] as const;
export type AppliedEvent = (typeof APPLIED_EVENTS)[number];

/**
 * The largest SQS message body the endpoint sends, 256 KiB: the queue's own maximum (set on it to this value). The
 * queued form keeps only the fields the consumer reads, so only an issue of absurd label names could come near it.
 */
export const MAX_QUEUED_BYTES = 256 * 1024;

const GitHubIssueSchema = GitHubIssuePageSchema.element;

const RepositorySchema = z.object({ id: z.number().int().positive(), full_name: z.string().regex(/^[^/]+\/[^/]+$/) });

/** The account a repository was transferred from: GitHub names a user or an organization. */
const AccountSchema = z.object({ login: z.string() });

/**
 * A pull request as the `pull_request` event sends it: the fields of an issue, with `merged_at` at the top
 * level where the issues endpoint nests it under `pull_request`.
 */
const PullRequestSchema = GitHubIssueSchema.omit({ pull_request: true }).extend({ merged_at: z.string().nullish() });

const EventPayloadSchemas = {
  issues: z.object({ action: z.string(), repository: RepositorySchema, issue: GitHubIssueSchema }),
  pull_request: z.object({ action: z.string(), repository: RepositorySchema, pull_request: PullRequestSchema }),
  label: z.object({
    action: z.string(),
    repository: RepositorySchema,
    label: z.object({ name: z.string() }),
    changes: z.object({ name: z.object({ from: z.string() }).optional() }).optional(),
  }),
  repository: z.object({
    action: z.string(),
    repository: RepositorySchema,
    changes: z
      .object({
        // `renamed`: the name before; `transferred`: the owner before.
        repository: z.object({ name: z.object({ from: z.string() }) }).optional(),
        owner: z.object({ from: z.object({ user: AccountSchema.optional(), organization: AccountSchema.optional() }) }).optional(),
      })
      .optional(),
  }),
} as const;

const deliveryFields = {
  deliveryId: z.string().min(1),
  action: z.string(),
  receivedAt: z.string(),
  repository: z.object({ id: z.number(), fullName: z.string() }),
};

/**
 * A delivery the consumer applies: one issue or pull request of one repository as GitHub sent it, or a label of the
 * repository (with its name before an edit, when the edit renamed it).
 */
export const QueuedDeliverySchema = z.discriminatedUnion('event', [
  z.object({ ...deliveryFields, event: z.enum(['issues', 'pull_request']), item: GitHubIssueSchema }),
  z.object({ ...deliveryFields, event: z.literal('label'), label: z.object({ name: z.string(), previousName: z.string().optional() }) }),
]);
export type QueuedDelivery = z.infer<typeof QueuedDeliverySchema>;

/**
 * A `repository` event: a change to the repository itself (renamed, transferred, archived, deleted, ...), which
 * changes its project rather than items. `previousFullName` is its name before a rename or transfer.
 */
export const QueuedRepositoryChangeSchema = z.object({
  ...deliveryFields,
  event: z.literal('repository'),
  previousFullName: z.string().optional(),
});
export type QueuedRepositoryChange = z.infer<typeof QueuedRepositoryChangeSchema>;

export function isAppliedEvent(event: string): event is AppliedEvent {
  return (APPLIED_EVENTS as readonly string[]).includes(event);
}

/**
 * The queued form of an applied event's payload; unknown fields (bodies, reactions, the sender, ...) are left
 * out, which keeps a message far below the queue's {@link MAX_QUEUED_BYTES} whatever the issue's text.
 * @returns the delivery, or why the payload does not have the event's shape.
 */
export function queuedDeliveryOf(
  event: AppliedEvent,
  payload: unknown,
  delivery: { readonly deliveryId: string; readonly receivedAt: string },
): { readonly delivery: QueuedDelivery | QueuedRepositoryChange } | { readonly problem: string } {
  const parsed = EventPayloadSchemas[event].safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `${issue?.path.join('.') || '(payload)'}: ${issue?.message ?? 'unexpected shape'}` };
  }
  const data = parsed.data;
  const fields = { ...delivery, action: data.action, repository: { id: data.repository.id, fullName: data.repository.full_name } };
  if ('label' in data) {
    const previousName = data.changes?.name?.from;
    return { delivery: { ...fields, event: 'label', label: { name: data.label.name, ...(previousName ? { previousName } : {}) } } };
  }
  if (!('issue' in data) && !('pull_request' in data)) {
    const previousFullName = previousFullNameOf(data.repository.full_name, 'changes' in data ? data.changes : undefined);
    return { delivery: { ...fields, event: 'repository', ...(previousFullName ? { previousFullName } : {}) } };
  }
  return {
    delivery: {
      ...fields,
      event: 'issue' in data ? 'issues' : 'pull_request',
      item: 'issue' in data ? data.issue : asIssue(data.pull_request),
    },
  };
}

/** A renamed or transferred repository's full name before the change, from the event's `changes`. */
function previousFullNameOf(
  fullName: string,
  changes: z.infer<(typeof EventPayloadSchemas)['repository']>['changes'],
): string | undefined {
  const [owner, name] = fullName.split('/') as [string, string];
  const formerOwner = changes?.owner?.from.organization?.login ?? changes?.owner?.from.user?.login;
  const formerName = changes?.repository?.name.from;
  return formerOwner || formerName ? `${formerOwner ?? owner}/${formerName ?? name}` : undefined;
}

/** A pull request in the issues endpoint's shape: `pull_request.merged_at` marks it a pull request. */
function asIssue({ merged_at, ...pullRequest }: z.infer<typeof PullRequestSchema>): GitHubIssue {
  return { ...pullRequest, pull_request: { merged_at } };
}
