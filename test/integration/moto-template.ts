/**
 * Turns the packaged CloudFormation template (`serverless package` output) into one moto can
 * create, changing only what moto cannot create or would create wrongly. Every change is one of the
 * named transformations below, chosen by resource TYPE (never by today's logical ids), so new
 * functions, rules, alarms or subscriptions are handled without editing this file.
 *
 * What the harness needs to stand in for the missing pieces (the functions' environment, their
 * triggers, subscriptions, on-failure destinations) is returned beside the template as values to
 * be resolved BY THE STACK: each is added as a stack Output, so moto's own Ref/GetAtt resolution
 * gives the deployed names and ARNs and this module never guesses a physical id.
 */

/** A CloudFormation template as JSON (only the parts this module reads are typed). */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
  Conditions?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  [key: string]: unknown;
}

/** The named transformations, each with the reason moto needs it. */
export const TRANSFORMATIONS = {
  'lambda-as-queue':
    'AWS::Lambda::Function needs Docker in moto (and a rule target that is a Lambda makes PutEvents fail with HTTP 500). Each function becomes an SQS queue named <FunctionName>-invocations; whatever would invoke the function (rules, subscriptions) delivers there, and the test drains it into the real handler in-process.',
  'drop-lambda-plumbing':
    'AWS::Lambda::Version and AWS::Lambda::Permission have nothing to act on once the function is a queue (moto enforces no resource policies anyway).',
  'invoke-config-to-harness':
    'AWS::Lambda::EventInvokeConfig is not supported by moto; its retry count and on-failure destination are handed to the harness, which retries the handler and sends the Lambda on-failure record to the real SQS destination.',
  'event-source-mapping-to-harness':
    'AWS::Lambda::EventSourceMapping cannot poll for a function that does not exist; its queue, batch size and response type are handed to the harness, which polls the real queue.',
  'subscriptions-after-deploy':
    'moto skips AWS::SNS::Subscription in CloudFormation. Subscriptions are created with the SNS Subscribe API after the stack, with the same filter and redrive policies; a lambda endpoint becomes the function\'s stand-in queue, an e-mail endpoint a "mailbox" SQS queue added to the stack (created whatever the subscription\'s Condition says: the condition only says whether an address was configured).',
  'drop-resource-policies':
    'moto skips AWS::SQS::QueuePolicy and AWS::S3::BucketPolicy and enforces no resource policy; test/infra/template.test.ts and cfn-lint check them instead.',
  'drop-alarms':
    'moto skips AWS::CloudWatch::Alarm in CloudFormation (and never evaluates alarms), and a Fn::GetAtt to a skipped resource fails the whole stack. Alarms are removed; a GetAtt of an alarm\'s Arn becomes the documented alarm ARN built from its AlarmName, a Ref its AlarmName. test/infra/template.test.ts checks the alarms.',
  'bus-ref-as-name':
    'A bus created by moto\'s CloudFormation has an empty Ref; AWS returns its Name, so a Ref to an AWS::Events::EventBus is replaced by that Name (and the referring resource DependsOn the bus, which the Ref implied).',
  'drop-dangling-outputs':
    'Outputs that refer to a removed resource (e.g. a Lambda version ARN) are dropped.',
} as const;

export type TransformationName = keyof typeof TRANSFORMATIONS;

/** One resource the transformation changed, with the transformation that did it. */
export interface Change {
  logicalId: string;
  type: string;
  transformation: TransformationName;
}

/** A function that now exists only as a queue, and what the harness needs to run it in-process. */
export interface StandInFunction {
  logicalId: string;
  functionName: string;
  /** `functions/<file>.<export>` as in the template. */
  handler: string;
  /** Output key holding the stand-in queue's ARN. */
  queueArnOutput: string;
  /** Environment variable name -> output key holding its deployed value, or `literal:<value>`. */
  environmentOutputs: Record<string, string>;
  /** ReservedConcurrentExecutions: the harness never runs more invocations at once. */
  reservedConcurrency?: number;
  /** From the function's EventInvokeConfig: how often Lambda retries an async invocation and where it goes after. */
  asyncInvoke?: { maximumRetryAttempts: number; onFailureArnOutput?: string };
}

/** An SQS trigger of a function (from its EventSourceMapping). */
export interface QueueTrigger {
  functionLogicalId: string;
  queueArnOutput: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
}

/** A subscription to create with SNS Subscribe after the stack exists. */
export interface PendingSubscription {
  logicalId: string;
  topicArnOutput: string;
  /** Always sqs here: a stand-in queue (lambda) or a mailbox queue (email, email-json). */
  protocol: 'sqs';
  originalProtocol: string;
  endpointArnOutput: string;
  /** Subscribe attributes (FilterPolicy, RedrivePolicy, …) as SNS wants them: JSON strings. */
  attributes: Record<string, string>;
  /** Output key per attribute value that has to be resolved by the stack first (e.g. a DLQ ARN). */
  attributeOutputs: Record<string, string>;
}

export interface MotoTemplate {
  template: CfnTemplate;
  changes: Change[];
  functions: StandInFunction[];
  queueTriggers: QueueTrigger[];
  subscriptions: PendingSubscription[];
}

/** The packaged template cannot be made deployable (an unknown reference to a removed resource). */
export class MotoTemplateError extends Error {
  override name = 'MotoTemplateError';
}

const REMOVED_TYPES: Partial<Record<string, TransformationName>> = {
  'AWS::Lambda::Version': 'drop-lambda-plumbing',
  'AWS::Lambda::Permission': 'drop-lambda-plumbing',
  'AWS::Lambda::EventInvokeConfig': 'invoke-config-to-harness',
  'AWS::Lambda::EventSourceMapping': 'event-source-mapping-to-harness',
  'AWS::SNS::Subscription': 'subscriptions-after-deploy',
  'AWS::SQS::QueuePolicy': 'drop-resource-policies',
  'AWS::S3::BucketPolicy': 'drop-resource-policies',
  'AWS::CloudWatch::Alarm': 'drop-alarms',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The logical id a `{Ref}` or `{Fn::GetAtt}` names, or undefined. */
function referencedId(v: Record<string, unknown>): string | undefined {
  if (typeof v['Ref'] === 'string' && Object.keys(v).length === 1) return v['Ref'];
  const getAtt = v['Fn::GetAtt'];
  if (Object.keys(v).length === 1) {
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    if (typeof getAtt === 'string') return getAtt.split('.')[0];
  }
  return undefined;
}

/** Every logical id referenced by Ref / GetAtt / Sub inside a value. */
function references(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (isObject(value)) {
    const id = referencedId(value);
    if (id) out.add(id);
    const sub = value['Fn::Sub'];
    const text = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
    if (text) for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)) out.add(m[1] as string);
    for (const [k, v] of Object.entries(value)) if (k !== 'Fn::Sub') references(v, out);
    if (Array.isArray(sub)) references(sub[1], out);
  }
  return out;
}

/** Applies `rewrite` to every object node, bottom-up (returns a new value). */
function mapNodes(value: unknown, rewrite: (node: Record<string, unknown>) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapNodes(v, rewrite));
  if (!isObject(value)) return value;
  const mapped = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapNodes(v, rewrite)]));
  return rewrite(mapped);
}

/**
 * The moto-deployable template and what the harness must stand in for. Pure: the input is not
 * modified. Throws MotoTemplateError when a kept resource refers to a removed one in a way no
 * transformation covers, so a new construct is noticed instead of failing obscurely in moto.
 */
export function motoTemplate(packaged: CfnTemplate): MotoTemplate {
  const source = structuredClone(packaged);
  const resources: Record<string, CfnResource> = {};
  const removed = new Map<string, CfnResource>();
  const changes: Change[] = [];
  const outputs: Record<string, { Value: unknown }> = {};
  let outputCount = 0;
  /** Adds a stack output resolving `value`, returns its key. */
  const resolveLater = (value: unknown): string => {
    const key = `MotoHarness${outputCount++}`;
    outputs[key] = { Value: value };
    return key;
  };

  for (const [id, r] of Object.entries(source.Resources)) {
    const transformation = REMOVED_TYPES[r.Type];
    if (transformation) {
      removed.set(id, r);
      changes.push({ logicalId: id, type: r.Type, transformation });
    } else resources[id] = r;
  }

  // bus-ref-as-name and the alarm references: literal values moto would otherwise get wrong.
  const busNames = new Map<string, unknown>();
  for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::Events::EventBus') busNames.set(id, r.Properties?.['Name']);
  const alarmName = (id: string): unknown => removed.get(id)?.Properties?.['AlarmName'];
  const rewriteRefs = (value: unknown): unknown =>
    mapNodes(value, (node) => {
      const id = referencedId(node);
      if (!id) return node;
      if ('Ref' in node && busNames.has(id)) return busNames.get(id);
      if (removed.get(id)?.Type === 'AWS::CloudWatch::Alarm') {
        if ('Ref' in node) return alarmName(id);
        return { 'Fn::Sub': ['arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${Name}', { Name: alarmName(id) }] };
      }
      return node;
    });
  for (const id of busNames.keys()) changes.push({ logicalId: id, type: 'AWS::Events::EventBus', transformation: 'bus-ref-as-name' });

  // lambda-as-queue
  const functions: StandInFunction[] = [];
  const functionNames = new Map<string, unknown>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const props = r.Properties ?? {};
    const functionName = props['FunctionName'];
    if (typeof functionName !== 'string') throw new MotoTemplateError(`${id}: FunctionName must be a literal string to name its stand-in queue`);
    functionNames.set(id, functionName);
    const env = (isObject(props['Environment']) && isObject(props['Environment']['Variables']) ? props['Environment']['Variables'] : {}) as Record<string, unknown>;
    resources[id] = { Type: 'AWS::SQS::Queue', Properties: { QueueName: `${functionName}-invocations` } };
    changes.push({ logicalId: id, type: 'AWS::Lambda::Function', transformation: 'lambda-as-queue' });
    // Environment values: literals stay literal; anything else is resolved by the stack.
    const environmentOutputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) environmentOutputs[k] = typeof v === 'string' ? `literal:${v}` : resolveLater(rewriteRefs(v));
    const reserved = props['ReservedConcurrentExecutions'];
    functions.push({
      logicalId: id,
      functionName,
      handler: String(props['Handler']),
      queueArnOutput: resolveLater({ 'Fn::GetAtt': [id, 'Arn'] }),
      environmentOutputs,
      ...(typeof reserved === 'number' ? { reservedConcurrency: reserved } : {}),
    });
  }

  // A Ref to a function is its name (a queue's Ref would be its URL).
  const rewriteFunctionRefs = (value: unknown): unknown =>
    mapNodes(value, (node) => {
      const id = referencedId(node);
      return id && 'Ref' in node && functionNames.has(id) ? functionNames.get(id) : node;
    });

  // invoke-config-to-harness, event-source-mapping-to-harness, subscriptions-after-deploy
  const queueTriggers: QueueTrigger[] = [];
  const subscriptions: PendingSubscription[] = [];
  const functionOf = (value: unknown): StandInFunction | undefined => {
    const id = isObject(value) ? referencedId(value) : undefined;
    return functions.find((f) => f.logicalId === id || (typeof value === 'string' && f.functionName === value));
  };
  for (const [id, r] of removed) {
    const props = r.Properties ?? {};
    if (r.Type === 'AWS::Lambda::EventInvokeConfig') {
      const f = functionOf(props['FunctionName']);
      if (!f) throw new MotoTemplateError(`${id}: EventInvokeConfig of an unknown function`);
      const onFailure = isObject(props['DestinationConfig']) && isObject(props['DestinationConfig']['OnFailure']) ? props['DestinationConfig']['OnFailure']['Destination'] : undefined;
      f.asyncInvoke = {
        maximumRetryAttempts: typeof props['MaximumRetryAttempts'] === 'number' ? props['MaximumRetryAttempts'] : 2,
        ...(onFailure !== undefined ? { onFailureArnOutput: resolveLater(rewriteRefs(onFailure)) } : {}),
      };
    } else if (r.Type === 'AWS::Lambda::EventSourceMapping') {
      const f = functionOf(props['FunctionName']);
      if (!f) throw new MotoTemplateError(`${id}: EventSourceMapping of an unknown function`);
      queueTriggers.push({
        functionLogicalId: f.logicalId,
        queueArnOutput: resolveLater(props['EventSourceArn']),
        batchSize: typeof props['BatchSize'] === 'number' ? props['BatchSize'] : 10,
        reportBatchItemFailures: Array.isArray(props['FunctionResponseTypes']) && props['FunctionResponseTypes'].includes('ReportBatchItemFailures'),
      });
    } else if (r.Type === 'AWS::SNS::Subscription') {
      const protocol = String(props['Protocol']);
      let endpoint: unknown;
      if (protocol === 'lambda') {
        const f = functionOf(props['Endpoint']);
        if (!f) throw new MotoTemplateError(`${id}: lambda subscription to an unknown function`);
        endpoint = { 'Fn::GetAtt': [f.logicalId, 'Arn'] };
      } else if (protocol === 'email' || protocol === 'email-json') {
        const mailbox = `${id}Mailbox`;
        resources[mailbox] = { Type: 'AWS::SQS::Queue', Properties: {} };
        endpoint = { 'Fn::GetAtt': [mailbox, 'Arn'] };
      } else if (protocol === 'sqs') endpoint = props['Endpoint'];
      else throw new MotoTemplateError(`${id}: no stand-in for an SNS ${protocol} subscription`);
      const attributes: Record<string, string> = {};
      const attributeOutputs: Record<string, string> = {};
      if (props['FilterPolicy'] !== undefined) attributes['FilterPolicy'] = JSON.stringify(props['FilterPolicy']);
      if (props['FilterPolicyScope'] !== undefined) attributes['FilterPolicyScope'] = String(props['FilterPolicyScope']);
      if (props['RawMessageDelivery'] !== undefined) attributes['RawMessageDelivery'] = String(props['RawMessageDelivery']);
      const dlq = isObject(props['RedrivePolicy']) ? props['RedrivePolicy']['deadLetterTargetArn'] : undefined;
      if (dlq !== undefined) attributeOutputs['RedrivePolicy.deadLetterTargetArn'] = resolveLater(rewriteRefs(dlq));
      subscriptions.push({
        logicalId: id,
        topicArnOutput: resolveLater(rewriteRefs(props['TopicArn'])),
        protocol: 'sqs',
        originalProtocol: protocol,
        endpointArnOutput: resolveLater(endpoint),
        attributes,
        attributeOutputs,
      });
    }
  }

  // Rewrite references in what stays, and make sure nothing kept points at a removed resource.
  for (const [id, r] of Object.entries(resources)) {
    const rewritten = rewriteFunctionRefs(rewriteRefs(r)) as CfnResource;
    // A bus Ref replaced by its name no longer orders creation: keep the order with DependsOn.
    const buses = [...references(r)].filter((ref) => busNames.has(ref) && ref !== id);
    if (buses.length > 0) rewritten.DependsOn = [...new Set([...(rewritten.DependsOn === undefined ? [] : Array.isArray(rewritten.DependsOn) ? rewritten.DependsOn : [rewritten.DependsOn]), ...buses])];
    if (rewritten.DependsOn !== undefined) {
      const kept = (Array.isArray(rewritten.DependsOn) ? rewritten.DependsOn : [rewritten.DependsOn]).filter((d) => !removed.has(d));
      if (kept.length > 0) rewritten.DependsOn = kept;
      else delete rewritten.DependsOn;
    }
    const dangling = [...references(rewritten)].filter((ref) => removed.has(ref));
    if (dangling.length > 0) throw new MotoTemplateError(`${id} (${r.Type}) refers to removed ${dangling.join(', ')}: add a transformation for it`);
    resources[id] = rewritten;
  }

  // drop-dangling-outputs
  const kept: NonNullable<CfnTemplate['Outputs']> = {};
  for (const [key, output] of Object.entries(source.Outputs ?? {})) {
    const value = rewriteFunctionRefs(rewriteRefs(output.Value));
    if ([...references(value)].some((ref) => removed.has(ref))) {
      changes.push({ logicalId: key, type: 'Output', transformation: 'drop-dangling-outputs' });
      continue;
    }
    kept[key] = { ...output, Value: value };
  }

  const harnessOutputs = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, { Value: rewriteFunctionRefs(o.Value) }]));
  const template: CfnTemplate = { ...source, Resources: resources, Outputs: { ...kept, ...harnessOutputs } };
  return { template, changes, functions, queueTriggers, subscriptions };
}
