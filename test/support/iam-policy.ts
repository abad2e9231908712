/**
 * A small evaluator of resource policies (SNS topic policies, KMS key policies) as a synthesized template
 * holds them: an explicit Deny wins, else a matching Allow is needed, else the request is implicitly
 * denied (IAM/latest/UserGuide/reference_policies_evaluation-logic.html). It knows the policy elements
 * and condition operators the stack uses and throws on any other, so nothing passes by being ignored.
 */

/** Who asks: an AWS service acting for a resource, or an IAM principal (an ARN). */
export type IamPrincipal = { readonly service: string } | { readonly arn: string };

export interface IamRequest {
  readonly principal: IamPrincipal;
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request, e.g. `aws:SourceArn`, `aws:SecureTransport` (`'true'`/`'false'`). */
  readonly context: Readonly<Record<string, string>>;
}

export type IamDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

type Values = string | readonly string[];
interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | { readonly AWS?: Values; readonly Service?: Values };
  readonly Action?: Values;
  readonly NotAction?: Values;
  readonly Resource?: Values;
  readonly NotResource?: Values;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, Values>>>>;
}

const KNOWN_ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

/** The decision of one resource policy (already resolved: no CloudFormation intrinsics left). */
export function evaluatePolicy(document: unknown, request: IamRequest): IamDecision {
  const statements = [(document as { Statement: Statement | Statement[] }).Statement].flat();
  const matching = statements.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'explicit-deny';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

function applies(statement: Statement, request: IamRequest): boolean {
  for (const element of Object.keys(statement)) {
    if (!KNOWN_ELEMENTS.has(element)) throw new Error(`iam-policy: unsupported policy element ${element}`);
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new Error(`iam-policy: bad Effect ${String(statement.Effect)}`);
  return (
    principalMatches(statement.Principal, request.principal) &&
    listMatches(statement.Action, statement.NotAction, (pattern) => wildcard(pattern, request.action, true)) &&
    listMatches(statement.Resource, statement.NotResource, (pattern) => wildcard(pattern, request.resource, false)) &&
    Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, values]) => conditionHolds(operator, contextValue(request.context, key), [values].flat())),
    )
  );
}

function principalMatches(principal: Statement['Principal'], who: IamPrincipal): boolean {
  if (principal === undefined) throw new Error('iam-policy: a resource policy statement needs a Principal');
  if (principal === '*') return true;
  for (const element of Object.keys(principal)) {
    if (element !== 'AWS' && element !== 'Service') throw new Error(`iam-policy: unsupported principal type ${element}`);
  }
  const aws = [principal.AWS ?? []].flat();
  if (aws.includes('*')) return true;
  if ('service' in who) return [principal.Service ?? []].flat().includes(who.service);
  const account = who.arn.split(':')[4];
  return aws.some((arn) => arn === who.arn || arn === account || arn === `arn:${who.arn.split(':')[1]}:iam::${account}:root`);
}

function listMatches(list: Values | undefined, notList: Values | undefined, matches: (pattern: string) => boolean): boolean {
  if ((list === undefined) === (notList === undefined)) throw new Error('iam-policy: a statement needs exactly one of X and NotX');
  return list !== undefined ? [list].flat().some(matches) : ![notList!].flat().some(matches);
}

function contextValue(context: IamRequest['context'], key: string): string | undefined {
  // Condition key names are case-insensitive; their values are not.
  return Object.entries(context).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
}

/** Condition operators (reference_policies_elements_condition_operators.html); a missing key matches only a negated one. */
function conditionHolds(operator: string, actual: string | undefined, values: readonly string[]): boolean {
  const positive: Record<string, (value: string) => boolean> = {
    StringEquals: (value) => actual === value,
    StringLike: (value) => wildcard(value, actual!, false),
    ArnEquals: (value) => arnLike(value, actual!, false),
    ArnLike: (value) => arnLike(value, actual!, true),
    Bool: (value) => actual!.toLowerCase() === value.toLowerCase(),
  };
  const negated = operator.match(/^(String|Arn)Not(Equals|Like)$/);
  const base = negated ? `${negated[1]}${negated[2]}` : operator;
  const test = positive[base];
  if (!test) throw new Error(`iam-policy: unsupported condition operator ${operator}`);
  if (actual === undefined) return Boolean(negated);
  const any = values.some(test);
  return negated ? !any : any;
}

/** ArnLike/ArnEquals compare each of the six colon-separated parts on its own. */
function arnLike(pattern: string, arn: string, wildcards: boolean): boolean {
  const parts = (value: string) => {
    const split = value.split(':');
    return split.length < 6 ? undefined : [...split.slice(0, 5), split.slice(5).join(':')];
  };
  const expected = parts(pattern);
  const actual = parts(arn);
  if (!expected || !actual) return false;
  return expected.every((part, index) => (wildcards ? wildcard(part, actual[index]!, false) : part === actual[index]));
}

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** What CloudFormation would put in place of `Ref`, `Fn::GetAtt` and `Fn::Join` for one deployment. */
export interface CfnEnvironment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** Logical id -> the value its `Ref` returns (an SNS topic's ARN, a queue's URL, ...). */
  readonly refs: Readonly<Record<string, string>>;
  /** `LogicalId.Attribute` -> its value. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Replaces the intrinsic functions in a template value; throws on one it does not know. */
export function resolveCfn(value: unknown, environment: CfnEnvironment): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveCfn(item, environment));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [name, argument] = entries[0] ?? [];
  if (entries.length === 1 && (name === 'Ref' || name!.startsWith('Fn::'))) {
    if (name === 'Ref') return resolveRef(argument as string, environment);
    if (name === 'Fn::GetAtt') {
      const [id, attribute] = argument as [string, string];
      return known(environment.attributes[`${id}.${attribute}`], `Fn::GetAtt ${id}.${attribute}`);
    }
    if (name === 'Fn::Join') {
      const [separator, parts] = argument as [string, unknown[]];
      return parts.map((part) => resolveCfn(part, environment)).join(separator);
    }
    throw new Error(`iam-policy: unsupported intrinsic ${name}`);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveCfn(item, environment)]));
}

function resolveRef(id: string, environment: CfnEnvironment): string {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': environment.account,
    'AWS::Region': environment.region,
    'AWS::Partition': environment.partition,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  return known(pseudo[id] ?? environment.refs[id], `Ref ${id}`);
}

function known(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`iam-policy: no value for ${what}`);
  return value;
}
