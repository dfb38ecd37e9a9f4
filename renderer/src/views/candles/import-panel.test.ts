import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ResponseOf } from '../../../../shared/contract/channels';
import { ContractFailure } from '../../../../shared/contract/result';
import { importErrorText, ImportResultView, userLocation } from './ImportPanel';

const failed = {
  exchangeName: 'binance',
  symbol: 'BTC/USDT',
  interval: '1m',
  format: 'json',
  ok: false,
  rows: 66,
  inserted: 0,
  updated: 0,
  skipped: 0,
  issueCount: 1,
  issues: [{ location: '43bcb556-1f0e-4b7a-9c8e-0a1b2c3d4e5f-TRUNC_BTC-1m.json:candle 67', rule: 'truncated', message: 'the file ends inside a candle' }],
  durationMs: 12,
} as unknown as ResponseOf<'candles.import'>;

describe('import result', () => {
  it('names the file the user picked, not the stored copy', () => {
    expect(userLocation('43bcb556-1f0e-4b7a-9c8e-0a1b2c3d4e5f-TRUNC_BTC-1m.json:candle 67', 'TRUNC_BTC-1m.json')).toBe('TRUNC_BTC-1m.json:candle 67');
    expect(userLocation('3f2a9c1e-0000-4000-8000-000000000000.json:line 4', 'mine.json')).toBe('mine.json:line 4');
    expect(userLocation('line 4', 'mine.json')).toBe('line 4');
    const html = renderToStaticMarkup(createElement(ImportResultView, { result: failed, fileName: 'TRUNC_BTC-1m.json', skipInvalid: true }));
    expect(html).toContain('TRUNC_BTC-1m.json:candle 67');
    expect(html).not.toContain('43bcb556');
  });

  it('suggests ticking "Skip invalid rows" only when it is not ticked', () => {
    const unticked = renderToStaticMarkup(createElement(ImportResultView, { result: failed, fileName: 'a.json', skipInvalid: false }));
    expect(unticked).toMatch(/tick “Skip invalid rows”/);
    const ticked = renderToStaticMarkup(createElement(ImportResultView, { result: failed, fileName: 'a.json', skipInvalid: true }));
    expect(ticked).not.toMatch(/tick/);
    expect(ticked).toMatch(/nothing could be stored/);
  });

  it("words a refused payload by the form's fields, and keeps the importer's own messages", () => {
    const refused = new ContractFailure('invalid_payload', 'invalid candles.import payload: source.text: the file is empty; exchangeName: required', [
      { path: 'source.text', message: 'the file is empty' },
      { path: 'exchangeName', message: 'required' },
    ]);
    expect(importErrorText(refused)).toBe('File: the file is empty. Exchange: required');
    const own = new ContractFailure('invalid_payload', 'empty.csv: the file is empty', [{ path: 'source', message: 'the file is empty' }]);
    expect(importErrorText(own)).toBe('empty.csv: the file is empty');
  });
});
