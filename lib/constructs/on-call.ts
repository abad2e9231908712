import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface OnCallProps {
  /** Subscribed to the topic by email (confirm the subscription once); any HTTPS endpoint can subscribe too. */
  readonly email?: string;
}

const CLOUDWATCH = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

/**
 * The on-call SNS topic every alert and alarm goes to, encrypted with its own KMS key, reachable only
 * over TLS, and published to by this account's CloudWatch alarms in this region. The key is a customer managed
 * one ($1.00 a month) because CloudWatch can publish to an encrypted topic only when the key's policy lets it, and
 * the AWS managed key (aws/sns) has a policy no one can change
 * (sns/latest/dg/sns-key-management.html#compatibility-with-aws-services); an unencrypted topic would be cheaper, not equal.
 */
export class OnCall extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: OnCallProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // CloudWatch acts for an alarm: only alarms of this account and region may use the topic and its key
    // (confused-deputy protection; sns/latest/dg/sns-access-policy-use-cases.html, sns-key-management.html).
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the on-call topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // An encrypted topic takes an alarm's message only if CloudWatch may use its key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [CLOUDWATCH],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'CTO dashboard on-call', masterKey: key, enforceSSL: true });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one: without this
    // statement no alarm could publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [CLOUDWATCH],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
