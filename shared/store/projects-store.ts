/** Projects: one item per followed repository, with its sync progress. */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Project, SyncFailure, SyncState } from '../domain/project.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';
import { PROJECTS_INDEXES } from './table-schemas.ts';

const ACTIVE = 'active';
const FAILING = 'failing';

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

  /** Active projects, in id order. */
  async listActive(): Promise<Project[]> {
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
  const { activeFlag: _activeFlag, failingFlag: _failingFlag, ...project } = item;
  return project as unknown as Project;
}
