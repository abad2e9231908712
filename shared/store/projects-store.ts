/** Projects: one item per followed repository, with its sync progress. */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookConfirmation } from '../domain/freshness.ts';
import { type Project, projectIdOf, type SyncFailure, type SyncState } from '../domain/project.ts';
import type { BudgetUse, DeferralCause } from '../domain/sync-totals.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';
import { PROJECTS_INDEXES } from './table-schemas.ts';

const ACTIVE = 'active';
const FAILING = 'failing';

/**
 * How a project's sync ended in one daily run, kept on the project (`lastRun`) so the run's summary reads its totals
 * from the table rather than from the execution's state. The next run overwrites it.
 */
export type ProjectRunOutcome = { readonly runId: string } & (
  | {
      readonly status: 'synced';
      readonly recordsProcessed: number;
      readonly healthScore: number;
      /** Its sync was deferred to the next run (GitHub's budget, or the run's time), its progress saved. */
      readonly deferred?: boolean;
      /** Why it was deferred (absent when recorded before the reason was). */
      readonly deferredFor?: DeferralCause;
      /** What its sync spent of each GitHub budget (by key: `token`, `installation:<id>`). */
      readonly budgets?: Readonly<Record<string, BudgetUse>>;
    }
  | { readonly status: 'failed'; readonly error: string }
  /** Its child execution started after the run's deadline: not synced in this run, its snapshot not computed. */
  | { readonly status: 'deferred'; readonly reason: string }
  /** GitHub refused the token, or its secret could not be read: the run's failure, not the project's. */
  | { readonly status: 'token-unusable'; readonly errorName: 'AuthError' | 'ConfigError'; readonly message: string }
);

/** A slice of the active projects, in id order: those after `after` (from the first when null), up to `through`. */
export interface ProjectRange {
  readonly after: string | null;
  readonly through: string;
}

export class ProjectsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Adds a project, or updates an existing one's settings (display name, active, revenue defaults, SLA
   * hours), in one write. What the jobs record is never overwritten, so a daily run writing meanwhile is
   * not undone: when it was added, its sync progress and its repository's name and id are written only
   * where absent, its failure streak never (save never puts a project in or out of the failing index).
   */
  async save(project: Project): Promise<'added' | 'updated'> {
    const settings = {
      displayName: project.displayName,
      active: project.active,
      revenueDefaults: project.revenueDefaults,
      slaHours: project.slaHours,
      // The active index's key, removed while inactive.
      activeFlag: project.active ? ACTIVE : undefined,
    };
    const learned = { createdAt: project.createdAt, fullName: project.fullName, sync: project.sync, repositoryId: project.repositoryId };
    const set = Object.entries(settings).filter(([, value]) => value !== undefined);
    const removed = Object.entries(settings).filter(([, value]) => value === undefined);
    const ifAbsent = Object.entries(learned).filter(([, value]) => value !== undefined);
    const assignments = [
      ...set.map(([name]) => `#${name} = :${name}`),
      ...ifAbsent.map(([name]) => `#${name} = if_not_exists(#${name}, :${name})`),
    ];
    const output = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId: project.projectId },
        UpdateExpression: [
          `SET ${assignments.join(', ')}`,
          ...(removed.length ? [`REMOVE ${removed.map(([name]) => `#${name}`).join(', ')}`] : []),
        ].join(' '),
        ExpressionAttributeNames: Object.fromEntries([...set, ...removed, ...ifAbsent].map(([name]) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries([...set, ...ifAbsent].map(([name, value]) => [`:${name}`, value])),
        // The item as it was: none when the write created it.
        ReturnValues: 'ALL_OLD',
      }),
    );
    return output.Attributes ? 'updated' : 'added';
  }

  /** Adds a project unless one with its id exists (whose settings and progress stay untouched). @returns whether it was added. */
  async add(project: Project): Promise<boolean> {
    return unlessConditionFails(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...project, ...(project.active ? { activeFlag: ACTIVE } : {}) },
          ConditionExpression: 'attribute_not_exists(projectId)',
        }),
      ),
    );
  }

  async get(projectId: string): Promise<Project | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { projectId }, ConsistentRead: true }));
    return output.Item ? toProject(output.Item) : undefined;
  }

  /**
   * The project that follows a repository, as a webhook delivery names it: the one that recorded its GitHub id, which a
   * rename or a transfer keeps (the `byRepository` index), else the one of its name (added by hand, its id not recorded
   * yet), unless that one follows another repository, which had the name before. Should two projects have the id (one
   * added by hand under the new name, given the id by discovery), the one of the name is taken, else the first by id.
   * The index is eventually consistent (a write reaches it within about a second): a delivery naming the new name that
   * is applied within that second, or ahead of the rename's own event (the queue keeps no order), finds no project and
   * is left to the daily sync, which fetches what it changed. The project itself is read consistently.
   */
  async findByRepository(repository: { readonly id: number; readonly fullName: string }): Promise<Project | undefined> {
    const byName = projectIdOf(repository.fullName);
    const byId = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: PROJECTS_INDEXES.byRepository.name,
        KeyConditionExpression: 'repositoryId = :id',
        ExpressionAttributeValues: { ':id': repository.id },
      },
      (item) => item.projectId as string,
    );
    if (byId.length > 0) return this.get(byId.includes(byName) ? byName : byId[0]!);
    const project = await this.get(byName);
    return project?.repositoryId === undefined || project.repositoryId === repository.id ? project : undefined;
  }

  /**
   * Stops syncing a project, keeping its item (settings, sync progress): `save` of it makes it active again.
   * @returns false when there was no such project (none is created).
   */
  async deactivate(projectId: string): Promise<boolean> {
    return unlessConditionFails(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET active = :inactive REMOVE activeFlag',
          ConditionExpression: 'attribute_exists(projectId)',
          ExpressionAttributeValues: { ':inactive': false },
        }),
      ),
    );
  }

  /** Active projects, in id order, with when a webhook delivery was last applied for each. */
  async listActive(): Promise<(Project & WebhookConfirmation)[]> {
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: PROJECTS_INDEXES.active.name,
        KeyConditionExpression: 'activeFlag = :active',
        ExpressionAttributeValues: { ':active': ACTIVE },
      },
      toProject,
    );
  }

  /**
   * The ids of the active projects in `range`, in id order.
   * @param syncedInRun leave out the projects whose sync in this run ended `synced` and was not deferred (a redriven child's)
   */
  async listActiveIds(range: ProjectRange, syncedInRun?: string): Promise<string[]> {
    const ids = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: PROJECTS_INDEXES.active.name,
        // BETWEEN includes `after` itself, dropped below: a key condition has no "greater than and at most".
        KeyConditionExpression:
          range.after === null
            ? 'activeFlag = :active AND projectId <= :through'
            : 'activeFlag = :active AND projectId BETWEEN :after AND :through',
        ExpressionAttributeValues: {
          ':active': ACTIVE,
          ':through': range.through,
          ...(range.after === null ? {} : { ':after': range.after }),
          ...(syncedInRun === undefined ? {} : { ':runId': syncedInRun, ':synced': 'synced' }),
        },
        // A project without this run's outcome compares false, so the NOT keeps it.
        ...(syncedInRun === undefined
          ? {}
          : {
              FilterExpression: 'NOT (lastRun.runId = :runId AND lastRun.#status = :synced AND attribute_not_exists(lastRun.#deferred))',
              ExpressionAttributeNames: { '#status': 'status', '#deferred': 'deferred' },
            }),
        ProjectionExpression: 'projectId',
      },
      (item) => item.projectId as string,
    );
    return ids.filter((id) => id !== range.after);
  }

  /** Records how the project's sync ended in a run; never recreates a project removed meanwhile. */
  async recordRunOutcome(projectId: string, outcome: ProjectRunOutcome): Promise<void> {
    await unlessConditionFails(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET lastRun = :outcome',
          ConditionExpression: 'attribute_exists(projectId)',
          ExpressionAttributeValues: { ':outcome': outcome },
        }),
      ),
    );
  }

  /** The active projects' outcomes recorded by run `runId`, in id order; the projects without one are left out. */
  async listRunOutcomes(runId: string): Promise<{ projectId: string; outcome: ProjectRunOutcome }[]> {
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: PROJECTS_INDEXES.active.name,
        KeyConditionExpression: 'activeFlag = :active',
        FilterExpression: 'lastRun.runId = :runId',
        ExpressionAttributeValues: { ':active': ACTIVE, ':runId': runId },
        ProjectionExpression: 'projectId, lastRun',
      },
      (item) => ({ projectId: item.projectId as string, outcome: item.lastRun as ProjectRunOutcome }),
    );
  }

  async saveSyncState(projectId: string, sync: SyncState): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId },
        UpdateExpression: 'SET #sync = :sync',
        ConditionExpression: 'attribute_exists(projectId)',
        ExpressionAttributeNames: { '#sync': 'sync' },
        ExpressionAttributeValues: { ':sync': sync },
      }),
    );
  }

  /** Active projects whose sync is failing, in id order: only projects with a failure streak are read. */
  async listFailing(): Promise<Project[]> {
    return queryAll(
      this.client,
      {
        TableName: this.tableName,
        IndexName: PROJECTS_INDEXES.failing.name,
        KeyConditionExpression: 'failingFlag = :failing',
        // A project deactivated during its streak keeps it (it resumes if reactivated), unwatched meanwhile.
        FilterExpression: 'activeFlag = :active',
        ExpressionAttributeValues: { ':failing': FAILING, ':active': ACTIVE },
      },
      toProject,
    );
  }

  /**
   * Writes a project's failure streak, only over the streak it was computed from (`previousRunId`, or
   * none): the sync progress beside it is never touched.
   * @returns false when the project is gone or its streak changed meanwhile.
   */
  async saveFailure(projectId: string, failure: SyncFailure, previousRunId: string | undefined): Promise<boolean> {
    return unlessConditionFails(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET failure = :failure, failingFlag = :failing',
          ConditionExpression: previousRunId
            ? 'attribute_exists(projectId) AND failure.lastRunId = :previous'
            : 'attribute_exists(projectId) AND attribute_not_exists(failure)',
          ExpressionAttributeValues: {
            ':failure': failure,
            ':failing': FAILING,
            ...(previousRunId ? { ':previous': previousRunId } : {}),
          },
        }),
      ),
    );
  }

  /** Ends a project's failure streak after a finished sync (and takes it out of the failing index). */
  async clearFailure(projectId: string): Promise<void> {
    await unlessConditionFails(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'REMOVE failure, failingFlag',
          // Never recreates a project removed meanwhile (an update of a missing key would create it).
          ConditionExpression: 'attribute_exists(projectId)',
        }),
      ),
    );
  }

  /**
   * Records that a webhook delivery received at `receivedAt` was applied for the project (or found already applied):
   * its data is confirmed as of then. Never moves the time back (batches may apply out of order), never recreates a
   * project removed meanwhile.
   * @returns false when the project is gone or already confirmed as of `receivedAt` or later.
   */
  async recordWebhookConfirmation(projectId: string, receivedAt: string): Promise<boolean> {
    return unlessConditionFails(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET webhookConfirmedAt = :at',
          ConditionExpression: 'attribute_exists(projectId) AND (attribute_not_exists(webhookConfirmedAt) OR webhookConfirmedAt < :at)',
          ExpressionAttributeValues: { ':at': receivedAt },
        }),
      ),
    );
  }

  /**
   * Records the repository's id and current name as GitHub gave them (after a rename, or the first time
   * they are known); the project keeps its projectId, settings, sync progress and failure streak.
   * @returns false when the project was removed meanwhile (it is not recreated).
   */
  async recordRepository(projectId: string, repository: { readonly id: number; readonly fullName: string }): Promise<boolean> {
    return unlessConditionFails(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET fullName = :fullName, repositoryId = :id',
          ConditionExpression: 'attribute_exists(projectId)',
          ExpressionAttributeValues: { ':fullName': repository.fullName, ':id': repository.id },
        }),
      ),
    );
  }
}

/**
 * Sends a conditional write.
 * @returns false when DynamoDB refused it because its condition failed (any other error is thrown).
 */
async function unlessConditionFails(send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function toProject(item: Record<string, unknown>): Project {
  const { activeFlag: _activeFlag, failingFlag: _failingFlag, lastRun: _lastRun, ...project } = item;
  return project as unknown as Project;
}
