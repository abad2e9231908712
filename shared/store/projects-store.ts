/** Projects: one item per followed repository, with its sync progress. */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Project, SyncFailure, SyncState } from '../domain/project.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';

export const PROJECTS_INDEXES = {
  /** activeFlag ("active", set only while active) + projectId: the projects to sync, without a Scan. */
  active: { name: 'active', partitionKey: 'activeFlag', sortKey: 'projectId' },
  /**
   * failingFlag ("failing", set only while the project has a failure streak) + projectId: a sparse index, so
   * the hourly watchdog reads the few failing projects, not every project.
   */
  failing: { name: 'failing', partitionKey: 'failingFlag', sortKey: 'projectId' },
} as const;

const ACTIVE = 'active';
const FAILING = 'failing';

export class ProjectsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Adds or replaces a project's settings, keeping what the jobs recorded of an existing one: when it was
   * added, its sync progress, failure streak, and the repository's current name and id as GitHub gave them.
   */
  async save(project: Project): Promise<'added' | 'updated'> {
    const existing = await this.get(project.projectId);
    const learned = existing ?? project;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...project,
          createdAt: learned.createdAt,
          fullName: learned.fullName,
          ...(learned.repositoryId === undefined ? {} : { repositoryId: learned.repositoryId }),
          sync: learned.sync,
          ...(learned.failure ? { failure: learned.failure, failingFlag: FAILING } : {}),
          ...(project.active ? { activeFlag: ACTIVE } : {}),
        },
      }),
    );
    return existing ? 'updated' : 'added';
  }

  /** Adds a project unless one with its id exists (whose settings and progress stay untouched). @returns whether it was added. */
  async add(project: Project): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...project, ...(project.active ? { activeFlag: ACTIVE } : {}) },
          ConditionExpression: 'attribute_not_exists(projectId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(projectId: string): Promise<Project | undefined> {
    const output = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { projectId }, ConsistentRead: true }));
    return output.Item ? toProject(output.Item) : undefined;
  }

  /** @returns false when there was no such project. */
  async remove(projectId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { projectId }, ConditionExpression: 'attribute_exists(projectId)' }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
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
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET failure = :failure, failingFlag = :failing',
          ConditionExpression: previousRunId
            ? 'attribute_exists(projectId) AND failure.lastRunId = :previous'
            : 'attribute_exists(projectId) AND attribute_not_exists(failure)',
          ExpressionAttributeValues: { ':failure': failure, ':failing': FAILING, ...(previousRunId ? { ':previous': previousRunId } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Ends a project's failure streak after a finished sync (and takes it out of the failing index). */
  async clearFailure(projectId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'REMOVE failure, failingFlag',
          // Never recreates a project removed meanwhile (an update of a missing key would create it).
          ConditionExpression: 'attribute_exists(projectId)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Records the repository's id and current name as GitHub gave them (after a rename, or the first time
   * they are known); the project keeps its projectId, settings, sync progress and failure streak.
   * @returns false when the project was removed meanwhile (it is not recreated).
   */
  async recordRepository(projectId: string, repository: { readonly id: number; readonly fullName: string }): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { projectId },
          UpdateExpression: 'SET fullName = :fullName, repositoryId = :id',
          ConditionExpression: 'attribute_exists(projectId)',
          ExpressionAttributeValues: { ':fullName': repository.fullName, ':id': repository.id },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function toProject(item: Record<string, unknown>): Project {
  const { activeFlag: _activeFlag, failingFlag: _failingFlag, ...project } = item;
  return project as unknown as Project;
}
