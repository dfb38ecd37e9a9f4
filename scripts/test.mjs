#!/usr/bin/env node
// `npm test`: every check and every suite, then one closing line "N passed, N failed, N skipped".
// Type-check, lint and build count as one check each; vitest and Playwright count their tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = [];
const bin = (name) => `node_modules/.bin/${name}`;

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(label, cmd, args) {
  const ok = run(label, cmd, args);
  results.push({ suite: label, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 });
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

mkdirSync('test-results', { recursive: true });

check('typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json']);
check('typecheck (renderer)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.web.json']);
check('lint', bin('eslint'), ['.']);

const vitestJson = 'test-results/vitest.json';
rmSync(vitestJson, { force: true });
const vitestOk = run('unit and integration tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const v = readJson(vitestJson);
if (v) {
  results.push({ suite: 'vitest', passed: v.numPassedTests, failed: v.numFailedTests + (vitestOk || v.numFailedTests ? 0 : 1), skipped: v.numPendingTests + (v.numTodoTests ?? 0) });
} else {
  results.push({ suite: 'vitest', passed: 0, failed: 1, skipped: 0 });
}

const built = run('build (electron-vite)', bin('electron-vite'), ['build']);
results.push({ suite: 'build', passed: built ? 1 : 0, failed: built ? 0 : 1, skipped: 0 });

if (existsSync('playwright.config.ts')) {
  const pwJson = 'test-results/playwright.json';
  rmSync(pwJson, { force: true });
  const pwOk = run('end-to-end tests (Playwright, Chromium)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
  const p = readJson(pwJson);
  // The list reporter shows a skipped test without its reason: say why once per reason.
  const reasons = new Set();
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) for (const t of spec.tests ?? []) if (t.status === 'skipped') for (const a of t.annotations ?? []) if (a.type === 'skip' && a.description) reasons.add(a.description);
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of p?.suites ?? []) walk(suite);
  for (const reason of reasons) console.log(`skipped: ${reason}`);
  if (p?.stats) {
    const failed = p.stats.unexpected + (pwOk || p.stats.unexpected ? 0 : 1);
    results.push({ suite: 'playwright', passed: p.stats.expected + p.stats.flaky, failed, skipped: p.stats.skipped });
  } else {
    results.push({ suite: 'playwright', passed: 0, failed: 1, skipped: 0 });
  }
}

console.log('\n=== summary');
const total = { passed: 0, failed: 0, skipped: 0 };
for (const r of results) {
  console.log(`${r.suite.padEnd(28)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed ${String(r.skipped).padStart(4)} skipped`);
  total.passed += r.passed;
  total.failed += r.failed;
  total.skipped += r.skipped;
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed === 0 ? 0 : 1);
