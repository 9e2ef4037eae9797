/**
 * Known IAM privilege-escalation paths, as data, from the public catalogues: Rhino Security Labs'
 * 21 methods, Datadog's pathfinding.cloud, NCC Group's PMapper edge checks, Salesforce's
 * Cloudsplaining list and the paths exercised by Bishop Fox's iam-vulnerable. Each path is a set of
 * steps; a step is satisfied by any one of its actions on some resource of the given kind that the
 * attacker could exploit (a customer-owned resource, never an AWS-managed one). A PassRole step
 * names the services the role is handed to, so `iam:PassedToService` limited to an unrelated
 * service does not count. `sources` say which catalogue entries the path encodes.
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
  /** Some resource of the action's own service (for services whose paths need no particular type). */
  'service-resource': 'arn:aws:{service}:us-east-1:{account}:{name}/{name}',
} as const;

export type ResourceKind = keyof typeof RESOURCE_TEMPLATES;

export interface EscalationStep {
  /** Any one of these actions satisfies the step. */
  anyOf: string[];
  resource: ResourceKind;
  /** The target must be another principal than the attacker (e.g. access keys for someone else). */
  notSelf?: boolean;
  /** For iam:PassRole: the services the role must be passable to (`iam:PassedToService`). */
  passedTo?: string[];
}

export interface EscalationPath {
  /** Stable id (`rhino-15`, `iam-012`, `lambda-005`…). */
  id: string;
  /** What a human reads: the actions joined with `+`. */
  name: string;
  /** Why it escalates, in a few words. */
  how: string;
  steps: EscalationStep[];
  /** Catalogue entries this path encodes (`rhino:14`, `pathfinding:iam-012`, `pmapper:iam`, `cloudsplaining:UpdateRolePolicyToAssumeIt`). */
  sources: string[];
  /**
   * What else the path needs beyond these permissions (an existing trigger, a resource in a given
   * state). A path with `needs` is reported as conditional (one severity step lower) and says so.
   */
  needs?: string;
}

const passRole = (...services: string[]): EscalationStep => ({ anyOf: ['iam:PassRole'], resource: 'iam-role', passedTo: services.map((s) => `${s}.amazonaws.com`) });
const step = (resource: ResourceKind, ...anyOf: string[]): EscalationStep => ({ anyOf, resource });
const other = (resource: ResourceKind, ...anyOf: string[]): EscalationStep => ({ anyOf, resource, notSelf: true });

function path(id: string, how: string, sources: string[], steps: EscalationStep[], needs?: string): EscalationPath {
  const name = steps.map((s) => s.anyOf.join(' or ')).join(' + ');
  return needs ? { id, name, how, steps, sources, needs } : { id, name, how, steps, sources };
}

/** The catalogue, in Rhino Security Labs' numbering first, then by service. */
export const ESCALATION_PATHS: readonly EscalationPath[] = [
  path('rhino-1', 'write a new default version of a policy the attacker holds', ['rhino:1', 'pathfinding:iam-001', 'cloudsplaining:CreateNewPolicyVersion'], [step('iam-policy', 'iam:CreatePolicyVersion')]),
  path('rhino-2', 'switch a policy back to a more permissive old version', ['rhino:2', 'cloudsplaining:SetExistingDefaultPolicyVersion'], [step('iam-policy', 'iam:SetDefaultPolicyVersion')]),
  path('rhino-3', 'launch an EC2 instance with a privileged instance profile and use its credentials', ['rhino:3', 'pathfinding:ec2-001', 'cloudsplaining:CreateEC2WithExistingIP', 'pmapper:ec2-run-instances'], [
    passRole('ec2'),
    step('ec2-instance', 'ec2:RunInstances'),
  ]),
  path('rhino-4', 'create access keys for a more privileged user', ['rhino:4', 'pathfinding:iam-002', 'cloudsplaining:CreateAccessKey', 'pmapper:iam-create-access-key'], [other('iam-user', 'iam:CreateAccessKey')]),
  path('rhino-5', 'set a console password for a more privileged user', ['rhino:5', 'pathfinding:iam-004', 'cloudsplaining:CreateLoginProfile', 'pmapper:iam-create-login-profile'], [other('iam-user', 'iam:CreateLoginProfile')]),
  path('rhino-6', "change a more privileged user's console password", ['rhino:6', 'pathfinding:iam-006', 'cloudsplaining:UpdateLoginProfile', 'pmapper:iam-update-login-profile'], [other('iam-user', 'iam:UpdateLoginProfile')]),
  path('rhino-7', 'attach any managed policy (e.g. AdministratorAccess) to a user', ['rhino:7', 'pathfinding:iam-008', 'cloudsplaining:AttachUserPolicy'], [step('iam-user', 'iam:AttachUserPolicy')]),
  path('rhino-8', 'attach any managed policy to a group the attacker is in', ['rhino:8', 'pathfinding:iam-010', 'cloudsplaining:AttachGroupPolicy'], [step('iam-group', 'iam:AttachGroupPolicy')]),
  path('rhino-9', 'attach any managed policy to a role the attacker can use', ['rhino:9', 'pathfinding:iam-009', 'cloudsplaining:AttachRolePolicy'], [step('iam-role', 'iam:AttachRolePolicy')]),
  path('rhino-10', 'write an inline admin policy on a user', ['rhino:10', 'pathfinding:iam-007', 'cloudsplaining:PutUserPolicy'], [step('iam-user', 'iam:PutUserPolicy')]),
  path('rhino-11', 'write an inline admin policy on a group', ['rhino:11', 'pathfinding:iam-011', 'cloudsplaining:PutGroupPolicy'], [step('iam-group', 'iam:PutGroupPolicy')]),
  path('rhino-12', 'write an inline admin policy on a role', ['rhino:12', 'pathfinding:iam-005', 'cloudsplaining:PutRolePolicy'], [step('iam-role', 'iam:PutRolePolicy')]),
  path('rhino-13', 'add oneself to a more privileged group', ['rhino:13', 'pathfinding:iam-013', 'cloudsplaining:AddUserToGroup'], [step('iam-group', 'iam:AddUserToGroup')]),
  path('rhino-14', "rewrite a privileged role's trust policy, then assume it", ['rhino:14'], [step('iam-role', 'iam:UpdateAssumeRolePolicy'), step('iam-role', 'sts:AssumeRole')]),
  path('iam-012', "rewrite a privileged role's trust to name oneself: a same-account trust naming the caller's ARN needs no identity permission to assume", [
    'pathfinding:iam-012',
    'cloudsplaining:UpdateRolePolicyToAssumeIt',
    'pmapper:iam-update-assume-role-policy',
  ], [step('iam-role', 'iam:UpdateAssumeRolePolicy')]),
  path('iam-003', "rotate out a privileged user's access keys and create new ones", ['pathfinding:iam-003', 'cloudsplaining:CreateAndRotateAccessKey', 'pmapper:iam-delete-access-key'], [
    other('iam-user', 'iam:CreateAccessKey'),
    other('iam-user', 'iam:DeleteAccessKey'),
  ]),
  path('iam-014', 'attach an admin policy to a role one can assume', ['pathfinding:iam-014'], [step('iam-role', 'iam:AttachRolePolicy'), step('iam-role', 'sts:AssumeRole')]),
  path('iam-015', 'attach an admin policy to another user and create access keys for them', ['pathfinding:iam-015', 'cloudsplaining:AttachUserPolicyThenCreateAccessKey'], [
    step('iam-user', 'iam:AttachUserPolicy'),
    other('iam-user', 'iam:CreateAccessKey'),
  ]),
  path('iam-016', 'rewrite a policy attached to a role one can assume', ['pathfinding:iam-016', 'cloudsplaining:CreatePolicyVersionThenAssumeRole'], [step('iam-policy', 'iam:CreatePolicyVersion'), step('iam-role', 'sts:AssumeRole')]),
  path('iam-017', 'write an inline admin policy on a role one can assume', ['pathfinding:iam-017'], [step('iam-role', 'iam:PutRolePolicy'), step('iam-role', 'sts:AssumeRole')]),
  path('iam-018', 'write an inline admin policy on another user and create access keys for them', ['pathfinding:iam-018', 'cloudsplaining:PutUserPolicyThenCreateAccessKey'], [
    step('iam-user', 'iam:PutUserPolicy'),
    other('iam-user', 'iam:CreateAccessKey'),
  ]),
  path('iam-019', "attach an admin policy to a role and rewrite its trust to name oneself", ['pathfinding:iam-019', 'cloudsplaining:AttachRolePolicyThenUpdateAssumeRolePolicy'], [
    step('iam-role', 'iam:AttachRolePolicy'),
    step('iam-role', 'iam:UpdateAssumeRolePolicy'),
  ]),
  path('iam-020', "rewrite a role's policy and its trust", ['pathfinding:iam-020', 'cloudsplaining:CreatePolicyVersionThenUpdateAssumeRolePolicy'], [
    step('iam-policy', 'iam:CreatePolicyVersion'),
    step('iam-role', 'iam:UpdateAssumeRolePolicy'),
  ]),
  path('iam-021', "write an inline admin policy on a role and rewrite its trust", ['pathfinding:iam-021', 'cloudsplaining:PutRolePolicyThenUpdateAssumeRolePolicy'], [
    step('iam-role', 'iam:PutRolePolicy'),
    step('iam-role', 'iam:UpdateAssumeRolePolicy'),
  ]),
  path('sts-001', 'assume a more privileged role whose trust delegates to the account', ['pathfinding:sts-001', 'pmapper:sts-assume-role'], [step('iam-role', 'sts:AssumeRole')]),
  path('rhino-15', 'create a Lambda function with a privileged role and invoke it', ['rhino:15', 'pathfinding:lambda-001', 'cloudsplaining:PassExistingRoleToNewLambdaThenInvoke'], [
    passRole('lambda'),
    step('lambda-function', 'lambda:CreateFunction'),
    step('lambda-function', 'lambda:InvokeFunction'),
  ]),
  path('rhino-16', 'create a Lambda function with a privileged role and trigger it from an event source', [
    'rhino:16',
    'pathfinding:lambda-002',
    'cloudsplaining:PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo',
    'cloudsplaining:PassExistingRoleToNewLambdaThenTriggerWithNewDynamo',
  ], [passRole('lambda'), step('lambda-function', 'lambda:CreateFunction'), step('lambda-esm', 'lambda:CreateEventSourceMapping')]),
  path('lambda-006', 'create a Lambda function with a privileged role and let oneself (or anyone) invoke it through its resource policy', ['pathfinding:lambda-006', 'cloudsplaining:PassExistingRoleToNewLambdaThenAddPermission'], [
    passRole('lambda'),
    step('lambda-function', 'lambda:CreateFunction'),
    step('lambda-function', 'lambda:AddPermission'),
  ]),
  path('rhino-17', 'replace the code of an existing function that runs with a privileged role', ['rhino:17', 'pathfinding:lambda-003', 'cloudsplaining:EditExistingLambdaFunctionWithRole', 'pmapper:lambda-update-code'], [
    step('lambda-function', 'lambda:UpdateFunctionCode'),
  ]),
  path('lambda-004', 'replace the code of a privileged function and invoke it', ['pathfinding:lambda-004', 'cloudsplaining:UpdateAndInvokeLambdaFunction'], [
    step('lambda-function', 'lambda:UpdateFunctionCode'),
    step('lambda-function', 'lambda:InvokeFunction'),
  ]),
  path('lambda-005', 'replace the code of a privileged function and grant oneself invocation', ['pathfinding:lambda-005', 'cloudsplaining:UpdateLambdaFunctionAndAddPermission'], [
    step('lambda-function', 'lambda:UpdateFunctionCode'),
    step('lambda-function', 'lambda:AddPermission'),
  ]),
  path('pmapper-lambda-configuration', "swap a privileged role into an existing function's configuration", ['pmapper:lambda-update-configuration'], [
    passRole('lambda'),
    step('lambda-function', 'lambda:UpdateFunctionConfiguration'),
  ]),
  path('rhino-18', 'create a Glue development endpoint with a privileged role and log in to it', ['rhino:18', 'pathfinding:glue-001', 'cloudsplaining:PassExistingRoleToNewGlueDevEndpoint'], [
    passRole('glue'),
    step('glue-devendpoint', 'glue:CreateDevEndpoint'),
  ]),
  path('rhino-19', 'add an SSH key to an existing Glue development endpoint and use its role', ['rhino:19', 'pathfinding:glue-002', 'cloudsplaining:UpdateExistingGlueDevEndpoint'], [step('glue-devendpoint', 'glue:UpdateDevEndpoint')]),
  path('glue-job-run', 'create or change a Glue job to run with a privileged role, then run or trigger it', [
    'pathfinding:glue-003',
    'pathfinding:glue-004',
    'pathfinding:glue-005',
    'pathfinding:glue-006',
    'cloudsplaining:PassExistingRoleToNewGlueJobThenRun',
    'cloudsplaining:PassExistingRoleToNewGlueJobViaTrigger',
    'cloudsplaining:PassExistingRoleToUpdatedGlueJobThenRun',
    'cloudsplaining:PassExistingRoleToUpdatedGlueJobViaTrigger',
  ], [passRole('glue'), step('service-resource', 'glue:CreateJob', 'glue:UpdateJob'), step('service-resource', 'glue:StartJobRun', 'glue:CreateTrigger')]),
  path('rhino-20', 'create a CloudFormation stack that runs with a privileged role', ['rhino:20', 'pathfinding:cloudformation-001', 'cloudsplaining:PassExistingRoleToCloudFormation', 'pmapper:cloudformation-create-stack'], [
    passRole('cloudformation'),
    step('cloudformation-stack', 'cloudformation:CreateStack'),
  ]),
  path('cloudformation-update-stack', 'update an existing stack that runs with a privileged service role', ['pathfinding:cloudformation-002', 'pmapper:cloudformation-update-stack'], [
    step('cloudformation-stack', 'cloudformation:UpdateStack'),
  ]),
  path('cloudformation-005', 'create and execute a change set on a stack that runs with a privileged service role', ['pathfinding:cloudformation-005', 'cloudsplaining:ExecuteCloudFormationChangeSet', 'pmapper:cloudformation-change-set'], [
    step('cloudformation-stack', 'cloudformation:CreateChangeSet'),
    step('cloudformation-stack', 'cloudformation:ExecuteChangeSet'),
  ]),
  path('cloudformation-003', 'create a StackSet with a privileged execution role and deploy instances of it', ['pathfinding:cloudformation-003', 'cloudsplaining:PassExistingRoleToNewCloudFormationStackSet'], [
    passRole('cloudformation'),
    step('service-resource', 'cloudformation:CreateStackSet'),
    step('service-resource', 'cloudformation:CreateStackInstances'),
  ]),
  path('cloudformation-004', 'update a StackSet to run with a privileged role', ['pathfinding:cloudformation-004', 'cloudsplaining:PassRoleToUpdateCloudFormationStackSet'], [
    passRole('cloudformation'),
    step('service-resource', 'cloudformation:UpdateStackSet'),
  ]),
  path('rhino-21', 'create a Data Pipeline that runs commands with a privileged role', ['rhino:21', 'pathfinding:datapipeline-001'], [
    passRole('datapipeline', 'elasticmapreduce'),
    step('datapipeline-pipeline', 'datapipeline:CreatePipeline'),
    step('datapipeline-pipeline', 'datapipeline:PutPipelineDefinition'),
  ]),
  path('codebuild-create-project', 'create a CodeBuild project with a privileged role and run a build', [
    'pathfinding:codebuild-001',
    'pathfinding:codebuild-004',
    'cloudsplaining:PassExistingRoleToNewCodeBuildProjectThenBuild',
    'cloudsplaining:PassExistingRoleToNewCodeBuildProjectThenBuildBatch',
    'pmapper:codebuild-create-project',
  ], [passRole('codebuild'), step('codebuild-project', 'codebuild:CreateProject'), step('codebuild-project', 'codebuild:StartBuild', 'codebuild:StartBuildBatch')]),
  path('codebuild-start-existing', 'start a build of an existing privileged project with an overridden buildspec', ['pathfinding:codebuild-002', 'pathfinding:codebuild-003'], [
    step('codebuild-project', 'codebuild:StartBuild', 'codebuild:StartBuildBatch'),
  ]),
  path('pmapper-codebuild-update-project', 'give an existing project a privileged role, then run a build', ['pmapper:codebuild-update-project'], [
    passRole('codebuild'),
    step('codebuild-project', 'codebuild:UpdateProject'),
    step('codebuild-project', 'codebuild:StartBuild', 'codebuild:StartBuildBatch'),
  ]),
  path('sagemaker-create-notebook', 'create a SageMaker notebook with a privileged role and open it', ['iam-vulnerable:sageMakerCreateNotebookPassRole'], [
    passRole('sagemaker'),
    step('sagemaker-notebook', 'sagemaker:CreateNotebookInstance'),
    step('sagemaker-notebook', 'sagemaker:CreatePresignedNotebookInstanceUrl'),
  ]),
  path('sagemaker-001', 'create a SageMaker notebook with a privileged role (its lifecycle script runs with that role)', ['pathfinding:sagemaker-001', 'cloudsplaining:PassExistingRoleToNewSageMakerNotebookInstance', 'pmapper:sagemaker-notebook'], [
    passRole('sagemaker'),
    step('sagemaker-notebook', 'sagemaker:CreateNotebookInstance'),
  ]),
  path('sagemaker-presigned-notebook-url', 'open an existing SageMaker notebook and use its role', ['pathfinding:sagemaker-004', 'cloudsplaining:CreatePresignedSageMakerNotebookUrl'], [
    step('sagemaker-notebook', 'sagemaker:CreatePresignedNotebookInstanceUrl'),
  ]),
  path('sagemaker-005', "attach a lifecycle script to an existing privileged notebook and restart it", ['pathfinding:sagemaker-005', 'cloudsplaining:UpdateSageMakerNotebookLifecycleConfig'], [
    step('service-resource', 'sagemaker:CreateNotebookInstanceLifecycleConfig'),
    step('sagemaker-notebook', 'sagemaker:StopNotebookInstance'),
    step('sagemaker-notebook', 'sagemaker:UpdateNotebookInstance'),
    step('sagemaker-notebook', 'sagemaker:StartNotebookInstance'),
  ]),
  path('sagemaker-create-processing-job', 'run a SageMaker processing job with a privileged role', ['pathfinding:sagemaker-003', 'cloudsplaining:PassExistingRoleToNewSageMakerProcessingJob', 'pmapper:sagemaker-processing-job'], [
    passRole('sagemaker'),
    step('sagemaker-processing-job', 'sagemaker:CreateProcessingJob'),
  ]),
  path('sagemaker-create-training-job', 'run a SageMaker training job with a privileged role', ['pathfinding:sagemaker-002', 'cloudsplaining:PassExistingRoleToNewSageMakerTrainingJob', 'pmapper:sagemaker-training-job'], [
    passRole('sagemaker'),
    step('sagemaker-training-job', 'sagemaker:CreateTrainingJob'),
  ]),
  path('ssm-send-command', 'run commands on an instance and use its instance-profile credentials', ['pathfinding:ssm-002', 'pmapper:ssm-send-command'], [step('ec2-instance', 'ssm:SendCommand')]),
  path('ssm-start-session', 'open a shell on an instance and use its instance-profile credentials', ['pathfinding:ssm-001', 'pmapper:ssm-start-session'], [step('ec2-instance', 'ssm:StartSession')]),
  path('ec2-instance-connect', 'push an SSH key to an instance and use its instance-profile credentials', ['pathfinding:ec2instanceconnect-003', 'cloudsplaining:EC2InstanceConnectSendSSHPublicKey'], [
    step('ec2-instance', 'ec2-instance-connect:SendSSHPublicKey', 'ec2-instance-connect:SendSerialConsoleSSHPublicKey'),
  ]),
  path('ec2-002', "rewrite a privileged instance's user data and restart it", ['pathfinding:ec2-002', 'cloudsplaining:ModifyEC2InstanceUserDataThenRestart'], [
    step('ec2-instance', 'ec2:ModifyInstanceAttribute'),
    step('ec2-instance', 'ec2:StopInstances'),
    step('ec2-instance', 'ec2:StartInstances'),
  ]),
  path('ec2-003', 'request a Spot instance with a privileged instance profile', ['pathfinding:ec2-003', 'cloudsplaining:PassExistingRoleToNewEC2SpotInstance'], [
    passRole('ec2'),
    step('service-resource', 'ec2:RequestSpotInstances'),
  ]),
  path('ec2-004', "make a new version of a launch template with a privileged profile the default", ['pathfinding:ec2-004', 'pathfinding:aws/ec2-005', 'cloudsplaining:ModifyExistingEC2LaunchTemplate'], [
    step('service-resource', 'ec2:CreateLaunchTemplateVersion'),
    step('service-resource', 'ec2:ModifyLaunchTemplate'),
  ]),
  path('pmapper-ec2-associate-profile', 'attach a privileged instance profile to an instance one controls', ['pmapper:ec2-associate-iam-instance-profile'], [
    passRole('ec2'),
    step('ec2-instance', 'ec2:AssociateIamInstanceProfile'),
  ]),
  path('pmapper-autoscaling-launch-configuration', 'create a launch configuration with a privileged profile and an Auto Scaling group that launches it', ['pmapper:autoscaling-launch-configuration'], [
    passRole('ec2', 'autoscaling'),
    step('service-resource', 'autoscaling:CreateLaunchConfiguration'),
    step('service-resource', 'autoscaling:CreateAutoScalingGroup'),
  ]),
  path('ecs-run-task', 'register a task definition with a privileged task role and run it (task, service or start)', [
    'pathfinding:ecs-001',
    'pathfinding:ecs-002',
    'pathfinding:ecs-003',
    'pathfinding:ecs-004',
    'pathfinding:ecs-005',
    'cloudsplaining:PassExistingRoleToNewECSClusterServiceTask',
    'cloudsplaining:PassExistingRoleToNewECSClusterRunTask',
    'cloudsplaining:PassExistingRoleToNewECSService',
    'cloudsplaining:PassExistingRoleToNewECSTaskViaRunTask',
    'cloudsplaining:PassExistingRoleToNewECSTaskViaStartTask',
  ], [passRole('ecs-tasks'), step('service-resource', 'ecs:RegisterTaskDefinition'), step('service-resource', 'ecs:RunTask', 'ecs:StartTask', 'ecs:CreateService')]),
  path('ecs-execute-command', 'open a shell in a running task and use its task role', ['cloudsplaining:ECSExecuteCommandOnRunningTask', 'pathfinding:aws/ecs-006'], [step('service-resource', 'ecs:ExecuteCommand')]),
  path('apprunner-001', 'create an App Runner service with a privileged instance role', ['pathfinding:apprunner-001', 'cloudsplaining:PassExistingRoleToNewAppRunnerService'], [
    passRole('tasks.apprunner', 'apprunner'),
    step('service-resource', 'apprunner:CreateService'),
  ]),
  path('apprunner-002', 'change the code or image of an existing App Runner service that has a privileged role', ['pathfinding:apprunner-002'], [step('service-resource', 'apprunner:UpdateService')]),
  path('bedrock-001', 'create a Bedrock AgentCore code interpreter with a privileged role and run code in it', ['pathfinding:bedrock-001', 'cloudsplaining:PassExistingRoleToNewBedrockCodeInterpreter'], [
    passRole('bedrock-agentcore'),
    step('service-resource', 'bedrock-agentcore:CreateCodeInterpreter'),
    step('service-resource', 'bedrock-agentcore:StartCodeInterpreterSession'),
    step('service-resource', 'bedrock-agentcore:InvokeCodeInterpreter'),
  ]),
  path('bedrock-002', 'run code in an existing privileged Bedrock AgentCore code interpreter', ['pathfinding:bedrock-002', 'cloudsplaining:AccessExistingBedrockCodeInterpreterSession'], [
    step('service-resource', 'bedrock-agentcore:StartCodeInterpreterSession'),
    step('service-resource', 'bedrock-agentcore:InvokeCodeInterpreter'),
  ]),
  path('batch-001', 'register a Batch job definition with a privileged job role and submit it', ['pathfinding:batch-001', 'pathfinding:aws/batch-003'], [
    passRole('batch', 'ecs-tasks'),
    step('service-resource', 'batch:RegisterJobDefinition'),
    step('service-resource', 'batch:SubmitJob'),
  ]),
  path('batch-002', 'submit a job with an overridden command to an existing privileged Batch job definition', ['pathfinding:batch-002'], [step('service-resource', 'batch:SubmitJob')]),
  // pathfinding.cloud paths added after commit 84dd65c (its data/paths/aws/ layout; ids as published there).
  path('pmapper-lambda-create-function', 'create a Lambda function with a privileged role; it runs when an existing trigger or event source mapping names it, or when a SnapStart version is published (init code runs)', ['pmapper:lambda-create-function'], [
    passRole('lambda'),
    step('lambda-function', 'lambda:CreateFunction'),
  ], 'an existing trigger or event source mapping that names the function, or a SnapStart runtime (publishing a version runs the init code)'),
  path('ecs-008', "run an existing task definition with its task role and command overridden", ['pathfinding:aws/ecs-008', 'pathfinding:aws/ecs-009', 'pathfinding:aws/ecs-007'], [
    passRole('ecs-tasks'),
    step('service-resource', 'ecs:RunTask', 'ecs:StartTask'),
  ]),
  path('bedrock-003', 'create a Bedrock AgentCore runtime with a privileged execution role and run a root shell command in it', ['pathfinding:aws/bedrock-003', 'pathfinding:aws/bedrock-005'], [
    passRole('bedrock-agentcore'),
    step('service-resource', 'bedrock-agentcore:CreateAgentRuntime'),
    step('service-resource', 'bedrock-agentcore:CreateAgentRuntimeEndpoint'),
    step('service-resource', 'bedrock-agentcore:CreateWorkloadIdentity'),
    step('service-resource', 'bedrock-agentcore:InvokeAgentRuntimeCommand'),
  ]),
  path('bedrock-004', 'run a root shell command in an existing privileged AgentCore runtime or harness and read its role credentials', ['pathfinding:aws/bedrock-004'], [
    step('service-resource', 'bedrock-agentcore:InvokeAgentRuntimeCommand'),
  ]),
  path('bedrock-006', 'create an AgentCore browser with a privileged execution role and drive it to read its role credentials', ['pathfinding:aws/bedrock-006'], [
    passRole('bedrock-agentcore'),
    step('service-resource', 'bedrock-agentcore:CreateBrowser'),
    step('service-resource', 'bedrock-agentcore:StartBrowserSession'),
    step('service-resource', 'bedrock-agentcore:ConnectBrowserAutomationStream'),
  ]),
  path('bedrock-007', 'drive an existing privileged AgentCore browser to read its role credentials', ['pathfinding:aws/bedrock-007'], [
    step('service-resource', 'bedrock-agentcore:StartBrowserSession'),
    step('service-resource', 'bedrock-agentcore:ConnectBrowserAutomationStream'),
  ]),
  path('braket-001', 'create an Amazon Braket hybrid job with a privileged execution role', ['pathfinding:aws/braket-001'], [
    passRole('braket'),
    step('service-resource', 'braket:CreateJob'),
  ]),
  path('codedeploy-001', 'deploy a malicious revision to instances that already carry a privileged instance profile', ['pathfinding:aws/codedeploy-001'], [
    step('service-resource', 'codedeploy:CreateDeployment'),
    step('service-resource', 'codedeploy:RegisterApplicationRevision'),
  ]),
  path('cognitoidentity-001', "bind a privileged role to an identity pool's unauthenticated identities and fetch its credentials", ['pathfinding:aws/cognitoidentity-001'], [
    passRole('cognito-identity'),
    step('service-resource', 'cognito-identity:SetIdentityPoolRoles'),
  ]),
  path('emr-001', 'create an EMR cluster with a privileged instance profile and a step that uses it', ['pathfinding:aws/emr-001'], [
    passRole('elasticmapreduce', 'ec2'),
    step('service-resource', 'elasticmapreduce:RunJobFlow'),
  ]),
  path('emrserverless-001', 'create an EMR Serverless application and run a job with a privileged execution role', ['pathfinding:aws/emrserverless-001'], [
    passRole('emr-serverless'),
    step('service-resource', 'emr-serverless:CreateApplication'),
    step('service-resource', 'emr-serverless:StartJobRun'),
  ]),
  path('gamelift-001', 'upload a game server build and create a fleet with a privileged instance role', ['pathfinding:aws/gamelift-001'], [
    passRole('gamelift', 'ec2'),
    step('service-resource', 'gamelift:CreateBuild'),
    step('service-resource', 'gamelift:RequestUploadCredentials'),
    step('service-resource', 'gamelift:CreateFleet'),
  ]),
  path('glue-007', 'create a Glue interactive session with a privileged role and run code in it', ['pathfinding:aws/glue-007'], [
    passRole('glue'),
    step('service-resource', 'glue:CreateSession'),
    step('service-resource', 'glue:RunStatement'),
  ]),
  path('imagebuilder-001', 'build an image whose component runs on a build instance with a privileged instance profile', ['pathfinding:aws/imagebuilder-001'], [
    passRole('ec2', 'imagebuilder'),
    step('service-resource', 'imagebuilder:CreateComponent'),
    step('service-resource', 'imagebuilder:CreateImageRecipe'),
    step('service-resource', 'imagebuilder:CreateInfrastructureConfiguration'),
    step('service-resource', 'imagebuilder:CreateImage'),
  ]),
  path('kinesisanalytics-001', 'create and start a Managed Apache Flink application with a privileged execution role', ['pathfinding:aws/kinesisanalytics-001'], [
    passRole('kinesisanalytics'),
    step('service-resource', 'kinesisanalytics:CreateApplication'),
    step('service-resource', 'kinesisanalytics:StartApplication'),
  ]),
  path('omics-001', 'run a HealthOmics workflow with a privileged execution role that copies its credentials out', ['pathfinding:aws/omics-001'], [
    passRole('omics'),
    step('service-resource', 'omics:CreateWorkflow'),
    step('service-resource', 'omics:StartRun'),
  ]),
  path('ssm-003', 'create an Automation runbook with a script step and run it with a privileged AutomationAssumeRole', ['pathfinding:aws/ssm-003'], [
    passRole('ssm'),
    step('service-resource', 'ssm:CreateDocument'),
    step('service-resource', 'ssm:StartAutomationExecution'),
  ]),
];
