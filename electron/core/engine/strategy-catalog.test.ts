import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAPER_DEMO_STRATEGY } from './test-support/paper-demo-strategy';
import { StrategyCatalog } from './strategy-catalog';

const dir = mkdtempSync(join(tmpdir(), 'bm-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('strategies.list', () => {
  it('says which candles a backtest-kit file reads (1m, whatever its getSignal interval); a native strategy reads its run interval', async () => {
    writeFileSync(join(dir, 'paper-demo.mjs'), PAPER_DEMO_STRATEGY);
    writeFileSync(
      // CommonJS: vitest's module runner does not go through the ES resolve hook that maps the import.
      join(dir, 'quarterly.cjs'),
      `const { addStrategySchema } = require('backtest-kit');\naddStrategySchema({ strategyName: 'quarterly', interval: '15m', getSignal: async () => null });\n`,
    );
    const listed = await new StrategyCatalog({ userDir: dir }).list();
    const byName = Object.fromEntries(listed.map((s) => [s.name, s]));
    expect(byName.quarterly!.error).toBeUndefined();
    expect(byName.quarterly).toMatchObject({ source: 'user', candleInterval: '1m' });
    expect(byName['paper-demo']).toMatchObject({ source: 'user' });
    expect(byName['paper-demo']!.candleInterval).toBeUndefined();
  });
});
