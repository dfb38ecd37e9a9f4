import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../../../shared/contract/events';
import { ContractFailure } from '../../../../shared/contract/result';
import { gridSweep, openSweepFixture, type SweepFixture } from '../../optimize/test-support/sweep-fixture';
import { createOptimizePart, type OptimizePart } from './optimize-part';

let fx: SweepFixture;
let part: OptimizePart;
const events: Array<EventPayload<'optimize.progress'>> = [];

beforeAll(async () => {
  fx = await openSweepFixture('optimize_part');
  part = createOptimizePart({
    dataDir: fx.dir,
    threads: 2,
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => {
      if (event === 'optimize.progress') events.push(payload as EventPayload<'optimize.progress'>);
    },
    log: () => undefined,
  });
  await part.attachDatabase(fx.db.manager);
});

afterAll(async () => {
  await part?.close();
  await fx?.dispose();
});

/**
 * Waits for the sweep's last progress event (the one with its final status), which comes after the
 * final state is stored: `optimize.get` can already say `completed` while that event, with the last
 * trials, is still on its way.
 */
async function finalEvent(sweepId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!events.some((e) => e.sweepId === sweepId && e.status !== 'running')) {
    if (Date.now() > deadline) throw new Error('the sweep did not finish in 120 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('optimize part', () => {
  it('starts a sweep, publishes optimize.progress with the finished trials, and lists and pages them', async () => {
    const started = await part.optimize.start(gridSweep(fx.range) as never);
    expect(started.status).toBe('running');
    await finalEvent(started.sweepId);
    const done = await part.optimize.get({ sweepId: started.sweepId });
    expect(done.status).toBe('completed');
    const mine = events.filter((e) => e.sweepId === started.sweepId);
    expect(mine.flatMap((e) => e.trials)).toHaveLength(18);
    expect(mine.at(-1)!.status).toBe('completed');
    const page = await part.optimize.trials({ sweepId: started.sweepId, sort: 'score', limit: 5, offset: 0 });
    expect(page.total).toBe(18);
    expect(page.trials[0]!.trialId).toBe(done.best!.trialId);
    expect((await part.optimize.list({})).sweeps.map((s) => s.sweepId)).toContain(started.sweepId);
  });

  it('runs a sweep of two strategies through the channels, each trial tagged with its strategy in the event and the page', async () => {
    const started = await part.optimize.start(
      gridSweep(fx.range, {
        strategies: [
          { strategyName: 'sma-crossover', params: { fast: { choices: [5, 10] } } },
          { strategyName: 'rsi-mean-reversion', params: { period: { choices: [7, 14] } } },
        ],
      }) as never,
    );
    await finalEvent(started.sweepId);
    const sent = events.filter((e) => e.sweepId === started.sweepId).flatMap((e) => e.trials);
    const tag = (t: { strategyName: string; params: Record<string, unknown> }): string => `${t.strategyName}:${String(t.params.fast ?? t.params.period)}`;
    expect(sent.map(tag).sort()).toEqual(['rsi-mean-reversion:14', 'rsi-mean-reversion:7', 'sma-crossover:10', 'sma-crossover:5']);
    const page = await part.optimize.trials({ sweepId: started.sweepId, sort: 'index', limit: 10, offset: 0 });
    expect(page.trials.map(tag)).toEqual(['sma-crossover:5', 'sma-crossover:10', 'rsi-mean-reversion:7', 'rsi-mean-reversion:14']);
  });

  it('answers a bad range with invalid_payload naming the field, and an unknown sweep with not_found', async () => {
    const bad = gridSweep(fx.range, { strategies: [{ strategyName: 'sma-crossover', params: { slow: { min: 50, max: 10, step: 5 } } }] });
    const error = await part.optimize.start(bad as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractFailure);
    expect((error as ContractFailure).code).toBe('invalid_payload');
    expect((error as ContractFailure).issues?.map((i) => i.path)).toContain('strategies.0.params.slow.min');
    const missing = await part.optimize.get({ sweepId: 'nope' }).catch((e: unknown) => e);
    expect((missing as ContractFailure).code).toBe('not_found');
  });
});
