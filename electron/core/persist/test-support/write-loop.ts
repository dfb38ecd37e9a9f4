/**
 * Child process for the kill test: writes ever-growing values to a few keys as fast as it can
 * through the local-file adapter until it is killed. Prints READY after its first round.
 */
import { FileAdapter } from '../adapters/file-adapter';
import { STATE, type JsonValue, type StateKey } from '../subsystems';

const dir = process.argv[2];
if (!dir) throw new Error('usage: write-loop.ts <dir>');

const adapter = await FileAdapter.open<StateKey, JsonValue>(STATE, { dir, format: 'json' });
let round = 0;
for (;;) {
  round++;
  await Promise.all(
    Array.from({ length: 4 }, (_, k) =>
      adapter.write({ signalId: 'kill', bucketName: `k${k}` }, { round, key: k, payload: 'x'.repeat(1000 + (round % 50) * 500), check: round * 7 + k }),
    ),
  );
  if (round === 1) process.stdout.write('READY\n');
}
