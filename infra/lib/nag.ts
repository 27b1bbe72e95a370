/**
 * cdk-nag acknowledgements. Every accepted AwsSolutions finding is acknowledged on the narrowest construct that
 * raises it, with the reason it is acceptable for this pool. cdk-nag v3 matches findings one by one
 * (`AwsSolutions-IAM5[Resource::*]` is its own id), so a wildcard acknowledgement lists each finding id.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`acknowledgement ${id} needs a real reason`);
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges several findings of one rule (e.g. each IAM5 wildcard) with the same reason. */
export function acknowledgeEach(scope: IConstruct, rule: string, findings: readonly string[], reason: string): void {
  for (const f of findings) acknowledge(scope, `${rule}[${f}]`, reason);
}
