import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/console-auth-failures.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'console-auth-failures';

describe('console-auth-failures', () => {
  it('fires low for a failed IAM-user sign-in even without userIdentity.arn', () => {
    const [f] = detect(sampleEvent(D, 'positive-iam-user-failure'));
    expect(f).toMatchObject({ severity: 'low', details: { user: 'alice', errorMessage: 'Failed authentication' } });
  });
  it('ignores successes and root failures (root-signin owns those)', () => {
    expect(detect(sampleEvent(D, 'negative-success'))).toEqual([]);
    expect(detect(sampleEvent(D, 'negative-root-failure'))).toEqual([]);
  });
});
