import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Ends the run's output with one plain line, `N passed, N failed[, N skipped]`, which CI reads.
 * A module that failed to load or an unhandled error counts as a failure.
 */
export class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      let testsInModule = 0;
      for (const test of module.children.allTests()) {
        testsInModule += 1;
        const state = test.result().state;
        if (state === 'passed') {
          passed += 1;
        } else if (state === 'failed') {
          failed += 1;
        } else {
          skipped += 1;
        }
      }
      if (testsInModule === 0 && module.state() === 'failed') {
        failed += 1;
      }
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    const line = `\n${passed} passed, ${failed} failed${tail}\n`;
    // Printed at exit so that it is the very last line, after vitest's own summary.
    process.once('exit', () => process.stdout.write(line));
  }
}
