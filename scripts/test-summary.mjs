// Prints vitest's JSON results as one line, "Tests: N passed, N failed, N skipped"; exits 1 when
// the file is missing or no test ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results.json';
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`No test results in ${file}: ${error.message}`);
  process.exit(1);
}
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
if (results.numTotalTests === 0) process.exit(1);
