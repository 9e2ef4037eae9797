import { describe, expect, it } from 'vitest';
import { networkOf, userAgentFamily } from '../../shared/novelty/keys.ts';

describe('novelty keys', () => {
  it('reduces user agents as CloudTrail logs them to a tool family and major version', () => {
    expect(userAgentFamily('aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2 prompt/off command/iam.put-role-policy')).toBe('aws-cli/2');
    expect(userAgentFamily('aws-cli/1.29.0 Python/3.9 Linux/5.10 botocore/1.31.0')).toBe('aws-cli/1');
    expect(userAgentFamily('APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.21.8 md/GOOS#linux')).toBe('terraform/1');
    expect(userAgentFamily('Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10 lang/python#3.12.2 exec-env/AWS_Lambda_python3.12')).toBe('boto3/1');
    expect(userAgentFamily('aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.11.1 api/iam#3.540.0')).toBe('aws-sdk-js/3');
    expect(userAgentFamily('cloudformation.amazonaws.com')).toBe('cloudformation.amazonaws.com');
    expect(userAgentFamily('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Safari/537.36')).toBe('browser');
    expect(userAgentFamily('AWS Internal')).toBe('aws internal');
    expect(userAgentFamily('')).toBeUndefined();
    // A patch upgrade of the same tool is the same family; a different tool is not.
    expect(userAgentFamily('aws-cli/2.15.31 Python/3.11.8')).toBe(userAgentFamily('aws-cli/2.13.0 Python/3.11.4'));
    expect(userAgentFamily('python-requests/2.31.0')).toBe('python-requests/2');
  });

  it('groups addresses into /24 (IPv4) and /48 (IPv6) networks and keeps service names', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.5')).toBe(networkOf('203.0.113.250'));
    expect(networkOf('203.0.114.5')).not.toBe(networkOf('203.0.113.5'));
    expect(networkOf('2001:db8:1234:5678::1')).toBe('2001:db8:1234::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('cloudformation.amazonaws.com')).toBe('cloudformation.amazonaws.com');
    expect(networkOf(undefined)).toBeUndefined();
  });
});
