import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../shared/policy/index.ts';
import { EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

interface Case {
  id: string;
  expected: 'privilege-escalation' | 'none';
  policies: Array<{ name: string; document: unknown }>;
}

/** Which named path each case is about (a substring of the path name the analyzer must report). */
const EXPECTED_PATH: Record<string, string> = {
  'privesc-AssumeRole': 'iam:PutRolePolicy',
  'privesc-cloudFormationUpdateStack': 'cloudformation:UpdateStack',
  'privesc-codeBuildCreateProjectPassRole': 'codebuild:CreateProject',
  'privesc-ec2InstanceConnect': 'ec2-instance-connect:SendSSHPublicKey',
  'privesc-sageMakerCreateNotebookPassRole': 'sagemaker:CreateNotebookInstance',
  'privesc-sageMakerCreatePresignedNotebookURL': 'sagemaker:CreatePresignedNotebookInstanceUrl',
  'privesc-sageMakerCreateProcessingJob': 'sagemaker:CreateProcessingJob',
  'privesc-sageMakerCreateTrainingJob': 'sagemaker:CreateTrainingJob',
  'privesc-ssmSendCommand': 'ssm:SendCommand',
  'privesc-ssmStartSession': 'ssm:StartSession',
  'privesc1-CreateNewPolicyVersion': 'iam:CreatePolicyVersion',
  'privesc2-SetExistingDefaultPolicyVersion': 'iam:SetDefaultPolicyVersion',
  'privesc3-CreateEC2WithExistingIP': 'iam:PassRole + ec2:RunInstances',
  'privesc4-CreateAccessKey': 'iam:CreateAccessKey',
  'privesc5-CreateLoginProfile': 'iam:CreateLoginProfile',
  'privesc6-UpdateLoginProfile': 'iam:UpdateLoginProfile',
  'privesc7-AttachUserPolicy': 'iam:AttachUserPolicy',
  'privesc8-AttachGroupPolicy': 'iam:AttachGroupPolicy',
  'privesc9-AttachRolePolicy': 'iam:AttachRolePolicy',
  'privesc10-PutUserPolicy': 'iam:PutUserPolicy',
  'privesc11-PutGroupPolicy': 'iam:PutGroupPolicy',
  'privesc12-PutRolePolicy': 'iam:PutRolePolicy',
  'privesc13-AddUserToGroup': 'iam:AddUserToGroup',
  'privesc14-UpdatingAssumeRolePolicy': 'iam:UpdateAssumeRolePolicy + sts:AssumeRole',
  'privesc15-PassExistingRoleToNewLambdaThenInvoke': 'lambda:CreateFunction + lambda:InvokeFunction',
  'privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo': 'lambda:CreateEventSourceMapping',
  'privesc17-EditExistingLambdaFunctionWithRole': 'lambda:UpdateFunctionCode',
  'privesc18-PassExistingRoleToNewGlueDevEndpoint': 'glue:CreateDevEndpoint',
  'privesc19-UpdateExistingGlueDevEndpoint': 'glue:UpdateDevEndpoint',
  'privesc20-PassExistingRoleToCloudFormation': 'cloudformation:CreateStack',
  'privesc21-PassExistingRoleToNewDataPipeline': 'datapipeline:CreatePipeline',
  'fn1-privesc3-multiple-policies': 'iam:PassRole + ec2:RunInstances',
  'fn2-ExploitableResourceConstraint': 'iam:CreatePolicyVersion',
  'fn4-ExploitableNotAction': 'iam:PutUserPolicy',
};

const FILE = join(EXTERNAL_DIR, 'iam-vulnerable', 'cases.jsonl');

describe.skipIf(!hasExternal('iam-vulnerable/cases.jsonl'))('Bishop Fox iam-vulnerable privilege-escalation suite', () => {
  const cases: Case[] = hasExternal('iam-vulnerable/cases.jsonl')
    ? readFileSync(FILE, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Case)
    : [];

  function judge(c: Case): { escalates: boolean; paths: string[] } {
    const [first, ...rest] = c.policies.map((p) => p.document);
    const analysis = analyze(first, { kind: 'identity', otherPolicies: rest });
    const finding = analysis.findings.find((f) => f.id === 'privilege-escalation');
    const paths = ((finding?.detail?.['paths'] as Array<{ name: string }>) ?? []).map((p) => p.name);
    return { escalates: finding !== undefined, paths };
  }

  it('has the 38 cases (34 escalations, 4 traps)', () => {
    expect(cases).toHaveLength(38);
    expect(cases.filter((c) => c.expected === 'privilege-escalation')).toHaveLength(34);
  });

  it('flags every escalation with its path named and none of the traps (prints the score)', () => {
    let score = 0;
    const failures: string[] = [];
    for (const c of cases) {
      const { escalates, paths } = judge(c);
      const want = EXPECTED_PATH[c.id];
      const ok = c.expected === 'none' ? !escalates : escalates && want !== undefined && paths.some((p) => p.includes(want));
      if (ok) score++;
      else failures.push(`${c.id}: expected ${c.expected}${want ? ` via ${want}` : ''}, got ${escalates ? paths.join(' | ') : 'none'}`);
    }
    console.log(`iam-vulnerable score: ${score}/${cases.length}`);
    expect(failures).toEqual([]);
    expect(score).toBe(38);
  });
});
