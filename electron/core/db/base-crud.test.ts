import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schema, type Model } from 'mongoose';
import { BaseCRUD, FIND_ALL_MAX } from './base-crud';
import { DuplicateKeyError } from './errors';
import { openTestDb, type TestDb } from '../../../test/support/test-db';

interface Note {
  bucket: string;
  seq: number;
  text: string;
  tag?: string;
}

class NoteDbService extends BaseCRUD<Note> {}

const noteSchema = new Schema<Note>(
  { bucket: { type: String, required: true }, seq: { type: Number, required: true }, text: { type: String, required: true }, tag: { type: String, default: 'none' } },
  { versionKey: false },
);
noteSchema.index({ bucket: 1, seq: 1 }, { unique: true });

describe('BaseCRUD', () => {
  let db: TestDb;
  let notes: NoteDbService;
  let model: Model<Note>;

  beforeAll(async () => {
    db = await openTestDb('base_crud');
    model = db.manager.connection.model<Note>('Note', noteSchema, 'note-items');
    await model.init();
    notes = new NoteDbService(model);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('creates, finds, updates and filters with typed plain results', async () => {
    const created = await notes.create({ bucket: 'crud', seq: 1, text: 'first' });
    expect(created).toMatchObject({ bucket: 'crud', seq: 1, text: 'first', tag: 'none' });
    expect(typeof created.id).toBe('string');
    expect(created).not.toHaveProperty('_id');
    expect(await notes.findById(created.id)).toEqual(created);
    const updated = await notes.update(created.id, { text: 'changed' });
    expect(updated?.text).toBe('changed');
    await notes.create({ bucket: 'crud', seq: 2, text: 'second' });
    const found = await notes.findByFilter({ bucket: 'crud' }, { sort: { seq: -1 } });
    expect(found.map((n) => n.seq)).toEqual([2, 1]);
    expect(await notes.findById('0123456789abcdef01234567')).toBeNull();
  });

  it('turns a duplicate key into a DuplicateKeyError naming the key', async () => {
    await notes.create({ bucket: 'dup', seq: 1, text: 'a' });
    const error = await notes.create({ bucket: 'dup', seq: 1, text: 'b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect((error as DuplicateKeyError).key).toEqual({ bucket: 1, seq: 1 });
    expect((error as DuplicateKeyError).message).toContain('bucket, seq');
    expect(await notes.count({ bucket: 'dup' })).toBe(1);
  });

  it('bounds findAll explicitly', async () => {
    await expect(notes.findAll(0)).rejects.toThrow('limit must be a whole number from 1 to');
    await expect(notes.findAll(FIND_ALL_MAX + 1)).rejects.toThrow(RangeError);
    expect((await notes.findAll(2)).length).toBe(2);
  });

  it('upserts atomically: concurrent upserts of one new key leave one document', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => notes.upsert({ bucket: 'race', seq: 7 }, { text: `writer ${i}` })),
    );
    expect(await notes.count({ bucket: 'race', seq: 7 })).toBe(1);
    const stored = await notes.findByFilter({ bucket: 'race' });
    expect(results.map((r) => r.text)).toContain(stored[0]!.text);
    expect(stored[0]!.tag).toBe('none');
  });

  describe('with 100,000 documents', () => {
    const TOTAL = 100_000;
    beforeAll(async () => {
      const padding = 'x'.repeat(400);
      for (let start = 0; start < TOTAL; start += 10_000) {
        const batch = Array.from({ length: 10_000 }, (_, i) => ({ bucket: 'big', seq: start + i, text: `${start + i}:${padding}` }));
        await model.insertMany(batch, { ordered: false, lean: true });
      }
    }, 300_000);

    it('iterates every document in constant memory', async () => {
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      let peak = before;
      let seen = 0;
      let lastSeq = -1;
      let ordered = true;
      for await (const note of notes.iterate({ bucket: 'big' }, { sort: { seq: 1 }, batchSize: 1000 })) {
        if (note.seq <= lastSeq) ordered = false;
        lastSeq = note.seq;
        seen++;
        if (seen % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
      expect(seen).toBe(TOTAL);
      expect(ordered).toBe(true);
      // Holding all 100k ~450-byte documents would need well over 60 MB of heap.
      expect((peak - before) / 1024 / 1024).toBeLessThan(40);
    }, 300_000);

    it('paginates by offset: pages complete, disjoint, with the total', async () => {
      const seen = new Set<number>();
      let total = 0;
      for (let offset = 0; offset < 5000; offset += 1000) {
        const page = await notes.paginate({ bucket: 'big', seq: { $lt: 5000 } }, { offset, limit: 1000 }, { seq: 1 });
        total = page.total;
        expect(page.items.length).toBe(1000);
        for (const n of page.items) {
          expect(seen.has(n.seq)).toBe(false);
          seen.add(n.seq);
        }
      }
      expect(total).toBe(5000);
      expect(seen.size).toBe(5000);
    });

    it('paginates by keyset to the deepest page, complete and disjoint', async () => {
      const seen = new Set<number>();
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await notes.paginateKeyset({ bucket: 'big' }, { limit: 5000, after });
        for (const n of page.items) {
          expect(seen.has(n.seq)).toBe(false);
          seen.add(n.seq);
        }
        after = page.next;
        pages++;
      } while (after);
      expect(seen.size).toBe(TOTAL);
      expect(pages).toBe(TOTAL / 5000);
    }, 300_000);
  });
});
