import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

// Run in a child process: vitest itself treats unhandled rejections in the test process as failures.
const script = `
import { installCrashGuard } from './electron/core/app/crash-guard.ts';
installCrashGuard((message) => console.log('LOGGED ' + message.split('\\n')[0]));
void Promise.reject(new Error('a run persisted nothing'));
setTimeout(() => { throw new Error('a callback threw'); }, 10);
setTimeout(() => console.log('STILL RUNNING'), 100);
`;

describe('installCrashGuard', () => {
  it('logs an unhandled rejection and an uncaught exception, and the process keeps running', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('LOGGED unhandled promise rejection (the app keeps running): Error: a run persisted nothing');
    expect(result.stdout).toContain('LOGGED uncaught exception (the app keeps running): Error: a callback threw');
    expect(result.stdout).toContain('STILL RUNNING');
  });
});
