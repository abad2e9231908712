import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag AwsSolutions finding on the construct that causes it, with the reason.
 * @param finding the rule and, for IAM5, the exact wildcard, e.g. `IAM5[Resource::*]`.
 */
export function acknowledgeNag(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
}

/** The `<LogicalId.Arn>` form cdk-nag uses to name a resource's ARN inside a finding. */
export function nagArnOf(resource: IConstruct): string {
  const element = resource.node.defaultChild as CfnElement;
  const stack = Stack.of(resource);
  return `<${stack.resolve(stack.getLogicalId(element))}.Arn>`;
}
