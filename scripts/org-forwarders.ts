/**
 * The one deployment step for organization mode (docs/organization.md): creates or updates the
 * service-managed StackSet of member forwarders (scripts/member-template.ts) with automatic
 * deployment, and deploys it to every account of the given OUs (the root covers the whole
 * organization) in every given region. Run it from the management account or a CloudFormation
 * delegated administrator (`--call-as DELEGATED_ADMIN`), after deploying the central stack with
 * `--param mode=organization`. Accounts that join the OUs later get the forwarders automatically.
 *
 *   npx tsx scripts/org-forwarders.ts --stack trailwatch-prod --central-account 111122223333 \
 *     --central-region us-east-1 --ou r-ab12 --regions us-east-1,us-east-2,eu-north-1,ap-southeast-2,eu-west-1,... \
 *     [--call-as DELEGATED_ADMIN] [--allow-missing-signin-regions] [--dry-run]
 *
 * Service-managed StackSets never deploy to the management account itself: deploy the same
 * template there as a plain stack (docs/organization.md says how).
 */
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetCommand,
  UpdateStackSetCommand,
  type CreateStackInstancesCommandInput,
  type CreateStackSetCommandInput,
} from '@aws-sdk/client-cloudformation';
import { pathToFileURL } from 'node:url';
import { SIGNIN_REGIONS } from '../shared/detections/lib/global-services.ts';
import { memberTemplate } from './member-template.ts';

export interface ForwarderDeployment {
  stackName: string;
  centralAccountId: string;
  centralRegion: string;
  organizationalUnitIds: string[];
  regions: string[];
  callAs: 'SELF' | 'DELEGATED_ADMIN';
  /**
   * Deploy although `regions` leaves out a region where IAM users' console sign-ins can be logged
   * (`--allow-missing-signin-regions`): those sign-ins are then never seen. For organizations that
   * knowingly send nothing from such a region; the default refuses.
   */
  allowMissingSignInRegions?: boolean;
}

/** Raised on arguments that would deploy a wrong or partial set of forwarders. */
export class ForwarderDeploymentError extends Error {
  override name = 'ForwarderDeploymentError';
}

/** The StackSet name; trail-tampering treats DeleteStackInstances/DeleteStackSet on it as tampering. */
export function stackSetName(stackName: string): string {
  return `${stackName}-forwarders`;
}

/** Checks the deployment and returns the CreateStackSet and CreateStackInstances requests. */
export function forwarderRequests(d: ForwarderDeployment): { stackSet: CreateStackSetCommandInput; instances: CreateStackInstancesCommandInput } {
  if (!/^\d{12}$/.test(d.centralAccountId)) throw new ForwarderDeploymentError(`--central-account must be a 12-digit account id, got ${JSON.stringify(d.centralAccountId)}`);
  if (d.organizationalUnitIds.length === 0 || d.organizationalUnitIds.some((ou) => !/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/.test(ou))) {
    throw new ForwarderDeploymentError(`--ou needs the organization root (r-…) or OU ids (ou-…), got ${JSON.stringify(d.organizationalUnitIds)}`);
  }
  if (d.regions.length === 0) throw new ForwarderDeploymentError('--regions needs every region CloudTrail records in (all enabled regions), comma-separated');
  // Global-service events (IAM, STS, sign-in, Organizations) are delivered in us-east-1 only.
  if (!d.regions.includes('us-east-1')) throw new ForwarderDeploymentError('--regions must include us-east-1: IAM, STS, sign-in and Organizations events are delivered there');
  // An IAM user's console sign-in through the global endpoint is logged in one of these regions (not
  // only us-east-1): without a forwarder there, sign-in detections never see it, and nothing says so.
  const missing = SIGNIN_REGIONS.filter((r) => !d.regions.includes(r));
  if (missing.length > 0 && d.allowMissingSignInRegions !== true) {
    throw new ForwarderDeploymentError(
      `--regions leaves out ${missing.join(', ')}: IAM users' console sign-ins can be logged there (${SIGNIN_REGIONS.join(', ')}), and without a forwarder they are never seen. Add them, or pass --allow-missing-signin-regions to deploy without them knowingly`,
    );
  }
  const name = stackSetName(d.stackName);
  return {
    stackSet: {
      StackSetName: name,
      Description: `Trailwatch forwarders to ${d.stackName} in ${d.centralAccountId}/${d.centralRegion}`,
      TemplateBody: JSON.stringify(memberTemplate({ stackName: d.stackName })),
      Parameters: [
        { ParameterKey: 'CentralAccountId', ParameterValue: d.centralAccountId },
        { ParameterKey: 'CentralRegion', ParameterValue: d.centralRegion },
        { ParameterKey: 'CentralBusName', ParameterValue: `${d.stackName}-central` },
      ],
      Capabilities: ['CAPABILITY_IAM'],
      PermissionModel: 'SERVICE_MANAGED',
      // New accounts in the OUs get the forwarders; a departing account's stacks are removed.
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      ManagedExecution: { Active: true },
      CallAs: d.callAs,
      Tags: [{ Key: 'app', Value: 'trailwatch' }],
    },
    instances: {
      StackSetName: name,
      DeploymentTargets: { OrganizationalUnitIds: d.organizationalUnitIds },
      Regions: d.regions,
      // StackSets allow regions in parallel; accounts per region by percentage (docs/organization.md quotas).
      OperationPreferences: { RegionConcurrencyType: 'PARALLEL', MaxConcurrentPercentage: 25, FailureTolerancePercentage: 10 },
      CallAs: d.callAs,
    },
  };
}

/** Creates the StackSet (or updates its template when it exists) and deploys the instances. */
export async function deployForwarders(d: ForwarderDeployment, client = new CloudFormationClient({})): Promise<{ created: boolean; operationId?: string }> {
  const { stackSet, instances } = forwarderRequests(d);
  let exists = true;
  try {
    await client.send(new DescribeStackSetCommand({ StackSetName: stackSet.StackSetName, CallAs: d.callAs }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'StackSetNotFoundException') throw error;
    exists = false;
  }
  if (exists) {
    const { AutoDeployment, PermissionModel, ManagedExecution, Tags, Description, StackSetName, TemplateBody, Parameters, Capabilities, CallAs } = stackSet;
    const update = await client.send(
      new UpdateStackSetCommand({ StackSetName, TemplateBody, Parameters, Capabilities, CallAs, AutoDeployment, PermissionModel, ManagedExecution, Tags, Description, DeploymentTargets: instances.DeploymentTargets, Regions: instances.Regions, OperationPreferences: instances.OperationPreferences }),
    );
    return { created: false, ...(update.OperationId ? { operationId: update.OperationId } : {}) };
  }
  await client.send(new CreateStackSetCommand(stackSet));
  const op = await client.send(new CreateStackInstancesCommand(instances));
  return { created: true, ...(op.OperationId ? { operationId: op.OperationId } : {}) };
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const deployment: ForwarderDeployment = {
    stackName: argValue(args, '--stack') ?? 'trailwatch-prod',
    centralAccountId: argValue(args, '--central-account') ?? '',
    centralRegion: argValue(args, '--central-region') ?? 'us-east-1',
    organizationalUnitIds: list(argValue(args, '--ou')),
    regions: list(argValue(args, '--regions')),
    callAs: argValue(args, '--call-as') === 'DELEGATED_ADMIN' ? 'DELEGATED_ADMIN' : 'SELF',
    allowMissingSignInRegions: args.includes('--allow-missing-signin-regions'),
  };
  try {
    if (args.includes('--dry-run')) {
      const { stackSet, instances } = forwarderRequests(deployment);
      process.stdout.write(`${JSON.stringify({ stackSet: { ...stackSet, TemplateBody: '<scripts/member-template.ts>' }, instances }, null, 2)}\n`);
    } else {
      const result = await deployForwarders(deployment);
      process.stdout.write(`${result.created ? 'created' : 'updated'} StackSet ${stackSetName(deployment.stackName)}${result.operationId ? ` (operation ${result.operationId})` : ''}\n`);
    }
  } catch (error) {
    process.stderr.write(`org-forwarders: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
