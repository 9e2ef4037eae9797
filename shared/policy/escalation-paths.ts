/**
 * Known IAM privilege-escalation paths, from the public catalogues: Rhino Security Labs' list of
 * 21 methods and the newer paths exercised by Bishop Fox's iam-vulnerable (SageMaker, SSM,
 * CodeBuild, EC2 Instance Connect, CloudFormation UpdateStack). Each path is a set of steps; a
 * step is satisfied by any one of its actions on some resource of the given kind that the
 * attacker could exploit (a customer-owned resource, never an AWS-managed one).
 */

/**
 * Kinds of resource a step needs, each with the ARN shape of "some resource of that kind" (`{account}`,
 * `{name}`: the witness search fills them with the owner account and a fresh name).
 */
export const RESOURCE_TEMPLATES = {
  'iam-policy': 'arn:aws:iam::{account}:policy/{name}',
  'iam-user': 'arn:aws:iam::{account}:user/{name}',
  'iam-group': 'arn:aws:iam::{account}:group/{name}',
  'iam-role': 'arn:aws:iam::{account}:role/{name}',
  'ec2-instance': 'arn:aws:ec2:us-east-1:{account}:instance/i-{name}',
  'lambda-function': 'arn:aws:lambda:us-east-1:{account}:function:{name}',
  'lambda-esm': 'arn:aws:lambda:us-east-1:{account}:event-source-mapping:{name}',
  'glue-devendpoint': 'arn:aws:glue:us-east-1:{account}:devEndpoint/{name}',
  'cloudformation-stack': 'arn:aws:cloudformation:us-east-1:{account}:stack/{name}/00000000-0000-0000-0000-000000000000',
  'datapipeline-pipeline': 'arn:aws:datapipeline:us-east-1:{account}:pipeline/df-{name}',
  'codebuild-project': 'arn:aws:codebuild:us-east-1:{account}:project/{name}',
  'sagemaker-notebook': 'arn:aws:sagemaker:us-east-1:{account}:notebook-instance/{name}',
  'sagemaker-processing-job': 'arn:aws:sagemaker:us-east-1:{account}:processing-job/{name}',
  'sagemaker-training-job': 'arn:aws:sagemaker:us-east-1:{account}:training-job/{name}',
  'ssm-document': 'arn:aws:ssm:us-east-1:{account}:document/{name}',
  's3-object': 'arn:aws:s3:::{name}/{name}',
  'secret': 'arn:aws:secretsmanager:us-east-1:{account}:secret:{name}-AbCdEf',
  'kms-key': 'arn:aws:kms:us-east-1:{account}:key/{name}',
  'ssm-parameter': 'arn:aws:ssm:us-east-1:{account}:parameter/{name}',
  'dynamodb-table': 'arn:aws:dynamodb:us-east-1:{account}:table/{name}',
  'sqs-queue': 'arn:aws:sqs:us-east-1:{account}:{name}',
  'any': 'arn:aws:{name}:us-east-1:{account}:{name}/{name}',
} as const;

export type ResourceKind = keyof typeof RESOURCE_TEMPLATES;

export interface EscalationStep {
  /** Any one of these actions satisfies the step. */
  anyOf: string[];
  resource: ResourceKind;
  /** The target must be another principal than the attacker (e.g. access keys for someone else). */
  notSelf?: boolean;
}

export interface EscalationPath {
  /** Stable id (`rhino-15`, `ssm-send-command`…). */
  id: string;
  /** What a human reads: the actions joined with `+`. */
  name: string;
  /** Why it escalates, in a few words. */
  how: string;
  steps: EscalationStep[];
}

const passRole: EscalationStep = { anyOf: ['iam:PassRole'], resource: 'iam-role' };

function path(id: string, how: string, steps: EscalationStep[]): EscalationPath {
  const name = steps.map((s) => s.anyOf.join(' or ')).join(' + ');
  return { id, name, how, steps };
}

/** The catalogue, in Rhino Security Labs' numbering first. */
export const ESCALATION_PATHS: readonly EscalationPath[] = [
  path('rhino-1', 'write a new default version of a policy the attacker holds', [{ anyOf: ['iam:CreatePolicyVersion'], resource: 'iam-policy' }]),
  path('rhino-2', 'switch a policy back to a more permissive old version', [{ anyOf: ['iam:SetDefaultPolicyVersion'], resource: 'iam-policy' }]),
  path('rhino-3', 'launch an EC2 instance with a privileged instance profile and use its credentials', [
    passRole,
    { anyOf: ['ec2:RunInstances'], resource: 'ec2-instance' },
  ]),
  path('rhino-4', 'create access keys for a more privileged user', [{ anyOf: ['iam:CreateAccessKey'], resource: 'iam-user', notSelf: true }]),
  path('rhino-5', 'set a console password for a more privileged user', [{ anyOf: ['iam:CreateLoginProfile'], resource: 'iam-user', notSelf: true }]),
  path('rhino-6', "change a more privileged user's console password", [{ anyOf: ['iam:UpdateLoginProfile'], resource: 'iam-user', notSelf: true }]),
  path('rhino-7', 'attach any managed policy (e.g. AdministratorAccess) to a user', [{ anyOf: ['iam:AttachUserPolicy'], resource: 'iam-user' }]),
  path('rhino-8', 'attach any managed policy to a group the attacker is in', [{ anyOf: ['iam:AttachGroupPolicy'], resource: 'iam-group' }]),
  path('rhino-9', 'attach any managed policy to a role the attacker can use', [{ anyOf: ['iam:AttachRolePolicy'], resource: 'iam-role' }]),
  path('rhino-10', 'write an inline admin policy on a user', [{ anyOf: ['iam:PutUserPolicy'], resource: 'iam-user' }]),
  path('rhino-11', 'write an inline admin policy on a group', [{ anyOf: ['iam:PutGroupPolicy'], resource: 'iam-group' }]),
  path('rhino-12', 'write an inline admin policy on a role', [{ anyOf: ['iam:PutRolePolicy'], resource: 'iam-role' }]),
  path('rhino-13', 'add oneself to a more privileged group', [{ anyOf: ['iam:AddUserToGroup'], resource: 'iam-group' }]),
  path('rhino-14', "rewrite a privileged role's trust policy, then assume it", [
    { anyOf: ['iam:UpdateAssumeRolePolicy'], resource: 'iam-role' },
    { anyOf: ['sts:AssumeRole'], resource: 'iam-role' },
  ]),
  path('rhino-15', 'create a Lambda function with a privileged role and invoke it', [
    passRole,
    { anyOf: ['lambda:CreateFunction'], resource: 'lambda-function' },
    { anyOf: ['lambda:InvokeFunction'], resource: 'lambda-function' },
  ]),
  path('rhino-16', 'create a Lambda function with a privileged role and trigger it from an event source', [
    passRole,
    { anyOf: ['lambda:CreateFunction'], resource: 'lambda-function' },
    { anyOf: ['lambda:CreateEventSourceMapping'], resource: 'lambda-esm' },
  ]),
  path('rhino-17', "replace the code of an existing function that runs with a privileged role", [
    { anyOf: ['lambda:UpdateFunctionCode'], resource: 'lambda-function' },
  ]),
  path('rhino-18', 'create a Glue development endpoint with a privileged role and log in to it', [
    passRole,
    { anyOf: ['glue:CreateDevEndpoint'], resource: 'glue-devendpoint' },
  ]),
  path('rhino-19', "add an SSH key to an existing Glue development endpoint and use its role", [
    { anyOf: ['glue:UpdateDevEndpoint'], resource: 'glue-devendpoint' },
  ]),
  path('rhino-20', 'create a CloudFormation stack that runs with a privileged role', [
    passRole,
    { anyOf: ['cloudformation:CreateStack'], resource: 'cloudformation-stack' },
  ]),
  path('rhino-21', 'create a Data Pipeline that runs commands with a privileged role', [
    passRole,
    { anyOf: ['datapipeline:CreatePipeline'], resource: 'datapipeline-pipeline' },
    { anyOf: ['datapipeline:PutPipelineDefinition'], resource: 'datapipeline-pipeline' },
  ]),
  path('codebuild-create-project', 'create a CodeBuild project with a privileged role and run a build', [
    passRole,
    { anyOf: ['codebuild:CreateProject'], resource: 'codebuild-project' },
    { anyOf: ['codebuild:StartBuild', 'codebuild:StartBuildBatch'], resource: 'codebuild-project' },
  ]),
  path('sagemaker-create-notebook', 'create a SageMaker notebook with a privileged role and open it', [
    passRole,
    { anyOf: ['sagemaker:CreateNotebookInstance'], resource: 'sagemaker-notebook' },
    { anyOf: ['sagemaker:CreatePresignedNotebookInstanceUrl'], resource: 'sagemaker-notebook' },
  ]),
  path('sagemaker-presigned-notebook-url', "open an existing SageMaker notebook and use its role", [
    { anyOf: ['sagemaker:CreatePresignedNotebookInstanceUrl'], resource: 'sagemaker-notebook' },
  ]),
  path('sagemaker-create-processing-job', 'run a SageMaker processing job with a privileged role', [
    passRole,
    { anyOf: ['sagemaker:CreateProcessingJob'], resource: 'sagemaker-processing-job' },
  ]),
  path('sagemaker-create-training-job', 'run a SageMaker training job with a privileged role', [
    passRole,
    { anyOf: ['sagemaker:CreateTrainingJob'], resource: 'sagemaker-training-job' },
  ]),
  path('ssm-send-command', 'run commands on an instance and use its instance-profile credentials', [
    { anyOf: ['ssm:SendCommand'], resource: 'ec2-instance' },
  ]),
  path('ssm-start-session', 'open a shell on an instance and use its instance-profile credentials', [
    { anyOf: ['ssm:StartSession'], resource: 'ec2-instance' },
  ]),
  path('ec2-instance-connect', 'push an SSH key to an instance and use its instance-profile credentials', [
    { anyOf: ['ec2-instance-connect:SendSSHPublicKey', 'ec2-instance-connect:SendSerialConsoleSSHPublicKey'], resource: 'ec2-instance' },
  ]),
  path('cloudformation-update-stack', 'update an existing stack that runs with a privileged service role', [
    { anyOf: ['cloudformation:UpdateStack'], resource: 'cloudformation-stack' },
  ]),
];
