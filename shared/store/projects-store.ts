/** Projects: one item per followed repository, with its sync progress. */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Project, SyncState } from '../domain/project.ts';
import { isConditionFailure } from './dynamo-client.ts';
import { queryAll } from './query-all.ts';

export const PROJECTS_INDEXES = {
  /** activeFlag ("active", set only while active) + projectId: the projects to sync, without a Scan. */
  active: { name: 'active', partitionKey: 'activeFlag', sortKey: 'projectId' },
} as const;

const ACTIVE = 'active';

export class ProjectsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Adds or replaces a project's settings, keeping the sync progress of an existing one. */
  async save(project: Project): Promise<'added' | 'updated'> {
    const existing = await this.get(project.projectId);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...project, sync: existing?.sync ?? project.sync, ...(project.active ? { activeFlag: ACTIVE } : {}) },
      }),
    );
    return existing ? 'updated' : 'added';
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

  /** Records a repository's new name after GitHub answered 301 (the project keeps its id). */
  async rename(projectId: string, fullName: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { projectId },
        UpdateExpression: 'SET fullName = :fullName',
        ExpressionAttributeValues: { ':fullName': fullName },
      }),
    );
  }
}

function toProject(item: Record<string, unknown>): Project {
  const { activeFlag: _activeFlag, ...project } = item;
  return project as unknown as Project;
}
