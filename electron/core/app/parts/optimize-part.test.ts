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

describe('optimize part', () => {
  it('starts a sweep, publishes optimize.progress with the finished trials, and lists and pages them', async () => {
    const started = await part.optimize.start(gridSweep(fx.range) as never);
    expect(started.status).toBe('running');
    const deadline = Date.now() + 120_000;
    while ((await part.optimize.get({ sweepId: started.sweepId })).status === 'running') {
      if (Date.now() > deadline) throw new Error('the sweep did not finish in 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
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
