import type { QueryFilter, Model, PipelineStage, SortOrder, UpdateQuery } from 'mongoose';
import { isDuplicateKeyError, toDuplicateKeyError } from './errors';

export const FIND_ALL_MAX = 10_000;
const UPSERT_RETRIES = 5;

/** A stored document as callers see it: plain data plus its id as a string. */
export type Stored<T> = T & { id: string };

export interface PageRequest {
  offset?: number;
  limit: number;
}

export interface Page<T> {
  items: Stored<T>[];
  total: number;
  offset: number;
  limit: number;
}

export interface KeysetRequest {
  limit: number;
  /** The `next` cursor of the previous page; absent for the first page. */
  after?: string;
  /** Ascending by default. */
  direction?: 1 | -1;
}

export interface KeysetPage<T> {
  items: Stored<T>[];
  /** Pass back as `after` to get the following page; undefined on the last page. */
  next?: string;
}

type Raw = Record<string, unknown> & { _id?: unknown; __v?: unknown };

function toStored<T>(doc: Raw): Stored<T> {
  const { _id, __v: _version, ...rest } = doc;
  return { ...(rest as T), id: String(_id) };
}

function checkLimit(limit: number, max: number, what: string): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new RangeError(`${what}: limit must be a whole number from 1 to ${max}, got ${limit}`);
  }
}

/**
 * Generic persistence over one mongoose Model. Every database service extends it. Reads return
 * lean plain objects (no mongoose documents leak out); writes translate E11000 into DuplicateKeyError.
 */
export class BaseCRUD<T extends object> {
  constructor(protected readonly model: Model<T>) {}

  /**
   * Resolves once the collection and its indexes exist. A write that races the first index build
   * can fail on some servers (mongo-java-server answers "Unknown error: null"), and a unique index
   * built after duplicate inserts would fail outright. `Model.init()` is memoized by mongoose.
   */
  protected ready(): Promise<unknown> {
    return this.model.init();
  }

  get collectionName(): string {
    return this.model.collection.collectionName;
  }

  async create(data: T): Promise<Stored<T>> {
    await this.ready();
    try {
      const doc = await this.model.create(data);
      return toStored<T>(doc.toObject() as Raw);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw toDuplicateKeyError(error, this.collectionName);
      throw error;
    }
  }

  async update(id: string, patch: Partial<T>): Promise<Stored<T> | null> {
    await this.ready();
    try {
      const doc = await this.model
        .findByIdAndUpdate(id, { $set: patch } as UpdateQuery<T>, { returnDocument: 'after', runValidators: true })
        .lean<Raw>();
      return doc ? toStored<T>(doc) : null;
    } catch (error) {
      if (isDuplicateKeyError(error)) throw toDuplicateKeyError(error, this.collectionName);
      throw error;
    }
  }

  async findById(id: string): Promise<Stored<T> | null> {
    const doc = await this.model.findById(id).lean<Raw>();
    return doc ? toStored<T>(doc) : null;
  }

  async findByFilter(
    filter: QueryFilter<T>,
    options: { sort?: Record<string, SortOrder>; limit?: number } = {},
  ): Promise<Stored<T>[]> {
    const limit = options.limit ?? FIND_ALL_MAX;
    checkLimit(limit, FIND_ALL_MAX, 'findByFilter');
    const docs = await this.model.find(filter).sort(options.sort ?? { _id: 1 }).limit(limit).lean<Raw[]>();
    return docs.map((d) => toStored<T>(d));
  }

  /** All documents, but never more than `limit` (a caller must say how many it can hold). */
  async findAll(limit: number): Promise<Stored<T>[]> {
    checkLimit(limit, FIND_ALL_MAX, 'findAll');
    return this.findByFilter({}, { limit });
  }

  async count(filter: QueryFilter<T> = {}): Promise<number> {
    return this.model.countDocuments(filter);
  }

  /** Streams matching documents from a cursor in constant memory. */
  async *iterate(
    filter: QueryFilter<T> = {},
    options: { sort?: Record<string, SortOrder>; batchSize?: number } = {},
  ): AsyncGenerator<Stored<T>> {
    const cursor = this.model
      .find(filter)
      .sort(options.sort ?? { _id: 1 })
      .lean<Raw[]>()
      .cursor({ batchSize: options.batchSize ?? 1000 });
    try {
      for await (const doc of cursor) yield toStored<T>(doc as Raw);
    } finally {
      await cursor.close();
    }
  }

  /** Offset pagination with the total; fine for the first pages, use `paginateKeyset` for deep ones. */
  async paginate(filter: QueryFilter<T>, request: PageRequest, sort: Record<string, SortOrder> = { _id: 1 }): Promise<Page<T>> {
    checkLimit(request.limit, FIND_ALL_MAX, 'paginate');
    const offset = request.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`paginate: offset must be a whole number >= 0, got ${offset}`);
    const [items, total] = await Promise.all([
      this.model.find(filter).sort({ ...sort, _id: 1 }).skip(offset).limit(request.limit).lean<Raw[]>(),
      this.model.countDocuments(filter),
    ]);
    return { items: items.map((d) => toStored<T>(d)), total, offset, limit: request.limit };
  }

  /** Keyset pagination on `_id`: each page costs the same however deep it is. */
  async paginateKeyset(filter: QueryFilter<T>, request: KeysetRequest): Promise<KeysetPage<T>> {
    checkLimit(request.limit, FIND_ALL_MAX, 'paginateKeyset');
    const direction = request.direction ?? 1;
    const query: QueryFilter<T> = request.after
      ? ({ $and: [filter, { _id: { [direction === 1 ? '$gt' : '$lt']: request.after } }] } as QueryFilter<T>)
      : filter;
    const docs = await this.model.find(query).sort({ _id: direction }).limit(request.limit + 1).lean<Raw[]>();
    const hasMore = docs.length > request.limit;
    const items = docs.slice(0, request.limit).map((d) => toStored<T>(d));
    return { items, next: hasMore ? items[items.length - 1]?.id : undefined };
  }

  /**
   * The atomic upsert every replayable write uses. Two upserts of a new key can both miss and both
   * insert; the loser gets E11000 and simply retries, finding the winner's document to update.
   */
  async upsert(filter: QueryFilter<T>, set: Partial<T>): Promise<Stored<T>> {
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      try {
        const doc = await this.model
          .findOneAndUpdate(filter, { $set: set } as UpdateQuery<T>, {
            upsert: true,
            returnDocument: 'after',
            setDefaultsOnInsert: true,
            runValidators: true,
          })
          .lean<Raw>();
        return toStored<T>(doc as Raw);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        if (attempt >= UPSERT_RETRIES) throw toDuplicateKeyError(error, this.collectionName);
      }
    }
  }

  async deleteByFilter(filter: QueryFilter<T>): Promise<number> {
    const result = await this.model.deleteMany(filter);
    return result.deletedCount;
  }

  protected aggregate<R>(pipeline: PipelineStage[]): Promise<R[]> {
    return this.model.aggregate<R>(pipeline).exec();
  }
}
