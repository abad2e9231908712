import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type CfnEnvironment, evaluatePolicy, type IamDecision, type IamRequest, resolveCfn } from '../../support/iam-policy.ts';
import { buildTestApp } from '../../support/synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = Template.fromStack(buildTestApp().stack).toJSON().Resources as Record<string, Resource>;
const idsOf = (type: string) => Object.keys(resources).filter((id) => resources[id]!.Type === type);

const ACCOUNT = '111122223333';
const REGION = 'eu-central-1';
const environment: CfnEnvironment = {
  account: ACCOUNT,
  region: REGION,
  partition: 'aws',
  refs: Object.fromEntries(idsOf('AWS::SNS::Topic').map((id) => [id, `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`])),
  attributes: Object.fromEntries(idsOf('AWS::KMS::Key').map((id) => [`${id}.Arn`, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`])),
};
const resolve = (value: unknown) => resolveCfn(value, environment);
const alarmArn = (name: string, account = ACCOUNT, region = REGION) =>
  `arn:aws:cloudwatch:${region}:${account}:alarm:CtoDashboardJobs-${name}`;

/** Every (alarm, state, action) of the template. */
const alarmActions = idsOf('AWS::CloudWatch::Alarm').flatMap((alarmId) =>
  (['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const).flatMap((state) =>
    ((resources[alarmId]!.Properties[state] ?? []) as unknown[]).map((action) => ({ alarmId, state, action: resolve(action) as string })),
  ),
);

/** What SNS and KMS decide when CloudWatch publishes an alarm's notification to a topic. */
function publishAsCloudWatch(topicArn: string, context: IamRequest['context'], topicPolicy = topicPolicyOf(topicArn)) {
  const request = (action: string, resource: string): IamRequest => ({
    principal: { service: 'cloudwatch.amazonaws.com' },
    action,
    resource,
    context,
  });
  const keyArn = resolve(topicOf(topicArn).Properties.KmsMasterKeyId) as string;
  const keyPolicy = resolve(resources[keyIdOf(keyArn)]!.Properties.KeyPolicy);
  return {
    publish: evaluatePolicy(topicPolicy, request('sns:Publish', topicArn)),
    generateDataKey: evaluatePolicy(keyPolicy, request('kms:GenerateDataKey', keyArn)),
    decrypt: evaluatePolicy(keyPolicy, request('kms:Decrypt', keyArn)),
  };
}
const topicOf = (topicArn: string) => resources[idsOf('AWS::SNS::Topic').find((id) => environment.refs[id] === topicArn)!]!;
const keyIdOf = (keyArn: string) => idsOf('AWS::KMS::Key').find((id) => environment.attributes[`${id}.Arn`] === keyArn)!;
/** The topic's one policy (a topic has one; SNS's default policy is gone once a topic policy exists). */
function topicPolicyOf(topicArn: string): unknown {
  const policies = idsOf('AWS::SNS::TopicPolicy').filter((id) =>
    (resolve(resources[id]!.Properties.Topics) as string[]).includes(topicArn),
  );
  expect(policies, `topic policies of ${topicArn}`).toHaveLength(1);
  return resolve(resources[policies[0]!]!.Properties.PolicyDocument);
}
const fromAlarm = (arn: string, account = ACCOUNT) => ({
  'aws:SourceAccount': account,
  'aws:SourceArn': arn,
  'aws:SecureTransport': 'true',
});
const allDenied = (decision: IamDecision) => ({ publish: decision, generateDataKey: decision, decrypt: decision });

describe('the on-call topic', () => {
  it('lets CloudWatch publish every alarm action of the template, on ALARM and on OK, with the topic key', () => {
    expect(alarmActions.length).toBeGreaterThan(0);
    expect(new Set(alarmActions.map(({ state }) => state))).toEqual(new Set(['AlarmActions', 'OKActions']));
    for (const { alarmId, state, action } of alarmActions) {
      expect(publishAsCloudWatch(action, fromAlarm(alarmArn(alarmId))), `${alarmId} ${state}`).toEqual(allDenied('allow'));
    }
  });

  it('refuses an alarm of another account, whether it names that account or ours', () => {
    const [{ action }] = alarmActions as [(typeof alarmActions)[number]];
    expect(publishAsCloudWatch(action, fromAlarm(alarmArn('Other', '444455556666'), '444455556666'))).toEqual(allDenied('implicit-deny'));
    expect(publishAsCloudWatch(action, fromAlarm(alarmArn('Other', '444455556666')))).toEqual(allDenied('implicit-deny'));
    expect(publishAsCloudWatch(action, fromAlarm(alarmArn('Other'), '444455556666'))).toEqual(allDenied('implicit-deny'));
  });

  it('refuses an alarm of another region, and a CloudWatch resource that is not an alarm', () => {
    const [{ action }] = alarmActions as [(typeof alarmActions)[number]];
    expect(publishAsCloudWatch(action, fromAlarm(alarmArn('Elsewhere', ACCOUNT, 'us-east-1')))).toEqual(allDenied('implicit-deny'));
    expect(publishAsCloudWatch(action, fromAlarm(`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:dashboard/CtoDashboardJobs-jobs`))).toEqual(
      allDenied('implicit-deny'),
    );
  });

  it('refuses a publish without TLS explicitly, even from our own alarm', () => {
    const [{ alarmId, action }] = alarmActions as [(typeof alarmActions)[number]];
    expect(publishAsCloudWatch(action, { ...fromAlarm(alarmArn(alarmId)), 'aws:SecureTransport': 'false' }).publish).toBe('explicit-deny');
  });

  it('refuses another service acting for a resource of this account', () => {
    const [{ action }] = alarmActions as [(typeof alarmActions)[number]];
    const request = {
      principal: { service: 'events.amazonaws.com' },
      action: 'sns:Publish',
      resource: action,
      context: fromAlarm(`arn:aws:events:${REGION}:${ACCOUNT}:rule/any`),
    };
    expect(evaluatePolicy(topicPolicyOf(action), request)).toBe('implicit-deny');
  });

  it('would be unreachable by alarms with only the TLS-only statement CDK writes for enforceSSL', () => {
    const [{ alarmId, action }] = alarmActions as [(typeof alarmActions)[number]];
    const policy = topicPolicyOf(action) as { Statement: { Effect: string }[] };
    const enforceSslOnly = { ...policy, Statement: policy.Statement.filter((statement) => statement.Effect === 'Deny') };
    expect(publishAsCloudWatch(action, fromAlarm(alarmArn(alarmId)), enforceSslOnly).publish).toBe('implicit-deny');
  });
});

describe('the policy evaluator', () => {
  const request: IamRequest = {
    principal: { service: 'cloudwatch.amazonaws.com' },
    action: 'sns:Publish',
    resource: 'arn:aws:sns:eu-central-1:111122223333:t',
    context: {},
  };

  it('throws on a condition operator or policy element it does not know, instead of ignoring it', () => {
    const withCondition = (Condition: unknown) => ({
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sns:Publish', Resource: '*', Condition }],
    });
    expect(() => evaluatePolicy(withCondition({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }), request)).toThrow(
      /DateGreaterThan/,
    );
    expect(() =>
      evaluatePolicy({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: '*' }, Action: '*', Resource: '*' }] }, request),
    ).toThrow(/NotPrincipal/);
  });

  it('lets an explicit Deny win over an Allow, and needs every condition key present', () => {
    const allow = {
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'SNS:Publish',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
    };
    expect(evaluatePolicy({ Statement: [allow] }, { ...request, context: { 'aws:sourceaccount': '111122223333' } })).toBe('allow');
    expect(evaluatePolicy({ Statement: [allow] }, request)).toBe('implicit-deny');
    const deny = { Effect: 'Deny', Principal: '*', Action: 'sns:*', Resource: '*' };
    expect(evaluatePolicy({ Statement: [allow, deny] }, { ...request, context: { 'aws:SourceAccount': '111122223333' } })).toBe(
      'explicit-deny',
    );
  });
});
