import type { Reporter, TestCase, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own report,
 * so CI logs and tools that read a run's last line see the totals without parsing ANSI output.
 * A module that failed without a failing test of its own — it failed to load (syntax error, throwing
 * import) or a `beforeAll`/`afterAll` hook threw, which leaves its tests skipped — counts as one failure,
 * so the line never says "0 failed" on a run that exits non-zero.
 */
export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private skipped = 0;

  onTestCaseResult(testCase: TestCase): void {
    const state = testCase.result().state;
    if (state === 'passed') this.passed += 1;
    else if (state === 'failed') this.failed += 1;
    else this.skipped += 1;
  }

  private extraFailures = 0;

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const brokenModules = modules.filter((m) => m.state() === 'failed' && ![...m.children.allTests()].some((t) => t.result().state === 'failed')).length;
    this.extraFailures = brokenModules + unhandledErrors.length;
  }

  /** Vitest 3's default reporter prints its summary in `onFinished`; print after it (listed last). */
  onFinished(): void {
    const failed = this.failed + this.extraFailures;
    process.stdout.write(`tests: ${this.passed} passed, ${failed} failed, ${this.skipped} skipped\n`);
  }
}
