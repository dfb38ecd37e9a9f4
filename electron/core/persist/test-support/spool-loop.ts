/**
 * Child process for the spool kill test: appends to the outage spool as fast as it can, printing
 * each sequence number once its append is acknowledged (durable), until it is killed.
 */
import { WriteSpool } from '../spool';

const path = process.argv[2];
if (!path) throw new Error('usage: spool-loop.ts <spool file>');

const spool = await WriteSpool.open(path);
for (let i = 1; ; i++) {
  await Promise.all(
    Array.from({ length: 8 }, (_, lane) =>
      spool.append({ subsystem: 'log', op: 'write', keyId: `${i}-${lane}`, key: { entryId: `${i}-${lane}` }, value: { i, lane, pad: 'p'.repeat(500) } }),
    ),
  );
  process.stdout.write(`ACK ${i}\n`);
}
