import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeNag, nagArnOf } from '../acknowledge.ts';
import { HANDLER_METADATA_KEY, PROJECT_ROOT } from '../project.ts';

/** The item-level DynamoDB actions a handler may be granted; Scan is deliberately not one of them. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

export interface JobFunctionProps {
  /** Handler source, relative to the project root (e.g. `lambdas/engine/start-run.ts`). */
  readonly entry: string;
  readonly description: string;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Settings the handler reads at load; table names come from {@link JobFunction.bindTable}. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The AWS SDK's credential providers that the default chain imports lazily, only when the environment holds no
 * credentials. Lambda always puts the role's credentials in the environment, so they are never loaded there;
 * left out of the bundle (about 130 KB of STS/SSO clients per function), they would be taken from the runtime's
 * own SDK if they ever were.
 */
export const LAZY_CREDENTIAL_PROVIDERS: readonly string[] = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@smithy/credential-provider-imds',
];

/**
 * The first line of every bundle: ES modules have no `require`, and the CommonJS packages bundled into one
 * (cron-parser, aws-xray-sdk-core) still `require()` Node built-ins.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * A Lambda function with this project's defaults: the newest Node.js runtime, arm64, X-Ray, an
 * explicit log group with retention, bundled and minified with names kept and source maps beside.
 *
 * The bundle is an ES module (`index.mjs`), so esbuild tree-shakes the ESM builds of the SDK, Powertools and
 * zod down to what the handler imports (`mainFields` prefers `module`; the project's own modules are free of side
 * effects, package.json says, so one a handler does not use is dropped whole). Measured with `npm run bench`
 * (2026-12-01, Node 20, Start Run):
 * - The AWS SDK is bundled, by choice. Taken from the nodejs24.x runtime instead, Start Run's bundle would be
 *   226 KB instead of 447 KB (the tree-shaken DynamoDB client is about 220 KB), but it would load in 171-198% of
 *   the old CommonJS bundle's time instead of 44-54%: an ES module importing the SDK's CommonJS packages from a
 *   `node_modules` folder, as from the runtime's, makes Node read and lex each package's whole `dist-cjs` (the
 *   DynamoDB client and its document client alone: 117-187 ms), where the bundle holds the 220 KB it uses. And
 *   the runtime's SDK is the version AWS deploys, not the 3.x pinned here and tested.
 * - Only the credential providers Lambda never reaches are left to the runtime ({@link LAZY_CREDENTIAL_PROVIDERS}).
 * - No `--enable-source-maps`: Node would read and parse the map at every cold start (a fifth of the load time).
 *   Names are kept instead (`keepNames`), so a stack trace in the logs names each function, and its
 *   `index.mjs:line:column` maps to the source with the `index.mjs.map` shipped beside the bundle (without the
 *   sources' text), e.g. in the asset folder of `cdk.out`.
 */
export class JobFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, allowed to write only its own log group (instead of AWSLambdaBasicExecutionRole).
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 512,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'cto-dashboard-jobs',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [...LAZY_CREDENTIAL_PROVIDERS],
        target: 'node24',
        logLevel: LogLevel.WARNING,
      },
    });
    (this.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.entry);
    acknowledgeNag(role, 'IAM5[Resource::*]', 'X-Ray PutTraceSegments/PutTelemetryRecords accept no resource but *');
  }

  /**
   * Grants exactly the actions the handler calls on a table and its indexes, and names the table in the
   * environment variable the handler reads.
   */
  bindTable(table: dynamodb.ITable, actions: readonly TableAction[], environmentVariable: string): this {
    table.grant(this, ...actions.map((action) => `dynamodb:${action}`));
    this.addEnvironment(environmentVariable, table.tableName);
    acknowledgeNag(
      this.role!,
      `IAM5[Resource::${nagArnOf(table)}/index/*]`,
      "Queries go through the table's own GSIs; the grant is limited to this table's indexes",
    );
    return this;
  }

  /** Allows sending email through SES only from `sender` (the `ses:FromAddress` condition), to anyone. */
  allowEmailFrom(sender: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
        conditions: { StringEquals: { 'ses:FromAddress': sender } },
      }),
    );
    acknowledgeNag(
      this.role!,
      'IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
      `SES authorizes against both the sender's and each recipient's identity; the ses:FromAddress condition pins the sender to ${sender}`,
    );
    return this;
  }
}
