import { z } from 'zod';
import { runNameSchema } from '../domain/runs';
import {
  candleSchema,
  intervalSchema,
  logLevelSchema,
  logLineSchema,
  matrixRowSchema,
  nonEmptyName,
  notificationSchema,
  notificationTypeSchema,
  runDetailSchema,
  runKindSchema,
  runRequestSchema,
  runStatusSchema,
  runSummarySchema,
  seriesKeySchema,
  signalRowSchema,
  strategyInfoSchema,
  timestampSchema,
} from './domain';
import { botsGetRequest, botsGetResponse, botsListRequest, botsListResponse } from './bots';
import {
  optimizeGetRequest,
  optimizeListRequest,
  optimizeListResponse,
  optimizeResumeRequest,
  optimizeStartRequest,
  optimizeStartResponse,
  optimizeStopRequest,
  optimizeSweepResponse,
  optimizeTrialsRequest,
  optimizeTrialsResponse,
} from './optimize';

/** The most candles a chart series may carry; longer ranges are aggregated in the main process. */
export const MAX_CHART_POINTS = 2000;
export const MAX_PAGE_SIZE = 1000;
/** File contents sent inline in `candles.import`; larger files go through the upload endpoint. */
export const MAX_INLINE_FILE_CHARS = 1024 * 1024;

const empty = z.object({}).strict();
const range = { from: timestampSchema, to: timestampSchema };
const toAfterFrom = (v: { from: number; to: number }): boolean => v.to >= v.from;
const toAfterFromIssue = { message: 'must not be before from', path: ['to'] };

// ---- runs -------------------------------------------------------------------------------------

export const runStartRequest = runRequestSchema;

const runIdRequest = z.object({ runId: nonEmptyName });

// ---- candles ----------------------------------------------------------------------------------

export const candleQueryRequest = seriesKeySchema
  .extend({ ...range, limit: z.number().int().positive().max(100_000).optional() })
  .refine(toAfterFrom, toAfterFromIssue);

export const candleChartRequest = seriesKeySchema
  .extend({ ...range, maxPoints: z.number().int().min(10).max(MAX_CHART_POINTS).default(MAX_CHART_POINTS) })
  .refine(toAfterFrom, toAfterFromIssue);

export const candlePageRequest = seriesKeySchema.extend({
  /** Keyset cursor: the previous page's `nextCursor` (exclusive). */
  after: timestampSchema.optional(),
  /** Optional window `[from, to)` to page through. */
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  limit: z.number().int().positive().max(MAX_PAGE_SIZE).default(100),
  order: z.enum(['asc', 'desc']).default('asc'),
});

export const candleImportRequest = z.object({
  source: z.discriminatedUnion('kind', [
    /** A file inside one of the import folders set on the host (--import-dir); anything else is refused. */
    z.object({ kind: z.literal('path'), path: nonEmptyName.max(4096) }),
    /** A file sent before through the host's upload endpoint; `fileName` is the user's, for messages and the series guess. */
    z.object({ kind: z.literal('upload'), uploadId: z.string().uuid(), fileName: nonEmptyName.max(255) }),
    /** Small file contents sent inline (at most 1 MiB; larger files go through an upload). */
    z.object({ kind: z.literal('content'), fileName: nonEmptyName.max(255), text: z.string().max(MAX_INLINE_FILE_CHARS, 'larger than 1 MiB: upload the file instead') }),
  ]),
  exchangeName: nonEmptyName,
  /** Optional when the file name carries it (ETH_BTC-1m.json, ETHBTC-1m-2018-01.binance.csv). */
  symbol: nonEmptyName.optional(),
  interval: intervalSchema.optional(),
  /** Store the valid rows and report the others, instead of refusing the whole file. */
  skipInvalid: z.boolean().default(false),
});

export const candleDownloadRequest = seriesKeySchema.extend(range).refine(toAfterFrom, toAfterFromIssue);

export const candleGapsRequest = seriesKeySchema.extend({ from: timestampSchema.optional(), to: timestampSchema.optional() });

const storedSeriesSchema = seriesKeySchema.extend({
  count: z.number().int().nonnegative(),
  first: timestampSchema.nullable(),
  last: timestampSchema.nullable(),
});

const gapSchema = z.object({ from: timestampSchema, to: timestampSchema, missing: z.number().int().positive() });

/** A series and an optional range `[from, to)` of it (the whole series when both are absent). */
const seriesRange = seriesKeySchema
  .extend({ from: timestampSchema.optional(), to: timestampSchema.optional() })
  .refine((v) => v.from === undefined || v.to === undefined || v.to > v.from, { message: 'must be after from', path: ['to'] });

export const candleExportRequest = seriesKeySchema
  .extend({ from: timestampSchema.optional(), to: timestampSchema.optional(), format: z.enum(['csv', 'json']) })
  .refine((v) => v.from === undefined || v.to === undefined || v.to > v.from, { message: 'must be after from', path: ['to'] });

export const candleExportChunkRequest = z.object({
  /** From `candles.export`; the export holds the series, range and format, the client names no file. */
  exportId: z.string().uuid(),
  /** The previous chunk's `nextCursor`; absent for the first chunk. */
  after: timestampSchema.optional(),
});

export const candleDeleteRequest = z.intersection(
  seriesRange,
  z.object({
    /** Count only: what a delete of the same series and range would remove (the confirmation shows it). */
    dryRun: z.boolean().default(false),
    /** The count the user confirmed; the delete is refused when the range holds a different number by then. */
    expected: z.number().int().nonnegative().optional(),
  }),
);

export const candleBackfillRequest = seriesRange;

export const candleDerivedRequest = seriesKeySchema
  .extend({
    ...range,
    /** The stored interval to build from; the finest stored one that divides `interval` when absent. */
    source: intervalSchema.optional(),
    maxPoints: z.number().int().min(10).max(MAX_CHART_POINTS).default(MAX_CHART_POINTS),
  })
  .refine(toAfterFrom, toAfterFromIssue);

// ---- notifications ----------------------------------------------------------------------------

export const notificationListRequest = z.object({
  limit: z.number().int().positive().max(MAX_PAGE_SIZE).default(200),
  /** How many of the newest matching notifications to skip (the feed pages by offset). */
  offset: z.number().int().nonnegative().max(100_000).default(0),
  unreadOnly: z.boolean().default(false),
  types: z.array(notificationTypeSchema).optional(),
  runId: nonEmptyName.optional(),
  symbol: nonEmptyName.optional(),
});

export const notificationMarkReadRequest = z
  .object({ ids: z.array(nonEmptyName).min(1).max(10_000).optional(), all: z.literal(true).optional() })
  .strict()
  .refine((v) => (v.ids === undefined) !== (v.all === undefined), { message: 'give either ids or all: true', path: ['ids'] });

// ---- database, settings -----------------------------------------------------------------------

export const DATABASE_SOURCES = ['env', 'localhost', 'embedded', 'custom', 'none'] as const;

export const databaseStatusSchema = z.object({
  /** Where the connection came from: CC_MONGO_CONNECTION_STRING, a MongoDB on localhost:27017, the embedded server, the settings, or none. */
  source: z.enum(DATABASE_SOURCES),
  status: z.enum(['disconnected', 'connecting', 'connected', 'reconnecting', 'failed']),
  /** Human label: "MongoDB 7.0.2 on localhost:27017", "embedded mongo-java-server (data in …)". */
  label: z.string(),
  /** Connection string, password masked. */
  maskedUri: z.string().optional(),
  serverVersion: z.string().optional(),
  pingMs: z.number().nonnegative().optional(),
  reason: z.string().optional(),
  /** Shown when there is no database: how to start one. */
  hint: z.string().optional(),
  /** Live-mode writes held in the outage spool while MongoDB is unreachable. */
  spool: z.object({ buffering: z.number().int().nonnegative(), oldestAt: timestampSchema.optional() }),
  collections: z.array(z.object({ name: z.string(), count: z.number().int().nonnegative() })).optional(),
  /**
   * Documents still in the monitor's previous layout (value under `data`), found when the app
   * connected: the user is told to run `npm run db -- migrate`; the app never migrates by itself.
   * Absent until the check has run.
   */
  migration: z
    .object({ needed: z.boolean(), collections: z.record(z.string(), z.number().int().nonnegative()) })
    .optional(),
  since: timestampSchema,
});

const connectionStringField = z
  .string()
  .trim()
  .regex(/^mongodb(\+srv)?:\/\/\S+$/i, 'must start with mongodb:// or mongodb+srv://');

export const databaseTestRequest = z.object({ connectionString: connectionStringField });
export const databaseConnectRequest = z
  .object({ connectionString: connectionStringField.optional(), embedded: z.literal(true).optional() })
  .strict()
  .refine((v) => (v.connectionString === undefined) !== (v.embedded === undefined), {
    message: 'give either connectionString or embedded: true',
    path: ['connectionString'],
  });

export const OS_NOTIFICATION_TYPES = ['signal.closed', 'error.critical', 'run.completed'] as const;

export const settingsSchema = z.object({
  /** Password masked when read; changed only by `database.connect`. */
  connectionString: z.string().optional(),
  /** Read-only here: set in the desktop app's own dialog or on the host's command line (the app runs the code in it). */
  strategiesDir: z.string().optional(),
  osNotifications: z.object({
    'signal.closed': z.boolean(),
    'error.critical': z.boolean(),
    'run.completed': z.boolean(),
  }),
  theme: z.enum(['dark', 'light']),
});

/**
 * What a client may change. Never a folder the app reads or runs code from, never the database
 * (that is `database.connect`, which tries it first): those are host-side configuration.
 */
export const settingsPatchSchema = z
  .object({
    osNotifications: settingsSchema.shape.osNotifications.partial().optional(),
    theme: settingsSchema.shape.theme.optional(),
  })
  .strict();

/**
 * Every request/response channel: `request` validates what enters the main side, `response`
 * documents (and in tests checks) what comes back.
 */
export const invokeChannels = {
  'runs.start': { request: runStartRequest, response: z.object({ runId: nonEmptyName }) },
  'runs.stop': { request: runIdRequest, response: z.object({ stopped: z.boolean(), status: runStatusSchema }) },
  'runs.list': {
    request: z.object({
      status: runStatusSchema.optional(),
      kind: runKindSchema.optional(),
      /** Newest first; finished runs of earlier sessions come from the run store. Default: 200. */
      limit: z.number().int().positive().max(MAX_PAGE_SIZE).optional(),
      offset: z.number().int().nonnegative().optional(),
    }),
    response: z.object({
      runs: z.array(runSummarySchema),
      /** Runs matching the filter, this page or not. */
      total: z.number().int().nonnegative().optional(),
      hasMore: z.boolean().optional(),
      /** Set when the stored history could not be read (MongoDB unreachable): only this session's runs are listed. */
      partial: z.string().optional(),
    }),
  },
  'runs.get': { request: runIdRequest, response: z.object({ run: runDetailSchema }) },
  /** Names a run (trimmed, 1 to RUN_NAME_MAX characters); kept across restarts. */
  'runs.rename': { request: runIdRequest.extend({ name: runNameSchema }), response: z.object({ runId: nonEmptyName, name: z.string() }) },
  /**
   * Deletes a finished run: its record, signal rows, notifications and its signals' State and Memory.
   * A queued or running run is refused (`conflict`): stop it first.
   */
  'runs.delete': {
    request: runIdRequest,
    response: z.object({
      deleted: z.literal(true),
      signals: z.number().int().nonnegative(),
      notifications: z.number().int().nonnegative(),
      stateEntries: z.number().int().nonnegative(),
      memoryEntries: z.number().int().nonnegative(),
    }),
  },

  'candles.symbols': { request: empty, response: z.object({ series: z.array(storedSeriesSchema) }) },
  'candles.query': {
    request: candleQueryRequest,
    response: z.object({ candles: z.array(candleSchema), truncated: z.boolean() }),
  },
  'candles.chart': {
    request: candleChartRequest,
    response: z.object({
      /** Width of every returned candle in ms: the interval itself, or a whole multiple of it when aggregated. */
      bucketMs: z.number().int().positive(),
      aggregated: z.boolean(),
      /** `count` = how many stored candles each bucket merges (fewer than bucketMs/interval means a gap). */
      candles: z.array(candleSchema.extend({ count: z.number().int().nonnegative() })).max(MAX_CHART_POINTS),
    }),
  },
  'candles.page': {
    request: candlePageRequest,
    response: z.object({ rows: z.array(candleSchema), nextCursor: timestampSchema.nullable() }),
  },
  'candles.import': {
    request: candleImportRequest,
    response: z.object({
      exchangeName: z.string(),
      symbol: z.string(),
      interval: intervalSchema,
      format: z.string(),
      /** False when nothing was stored (strict import with invalid rows, or an unreadable file). */
      ok: z.boolean(),
      rows: z.number().int().nonnegative(),
      inserted: z.number().int().nonnegative(),
      /** Candles already stored (re-import): updated in place, never duplicated. */
      updated: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      /** The first issues ("file:line" locations); `issueCount` has them all. */
      issues: z.array(z.object({ location: z.string(), rule: z.string(), message: z.string() })),
      issueCount: z.number().int().nonnegative(),
      first: timestampSchema.optional(),
      last: timestampSchema.optional(),
      durationMs: z.number().nonnegative(),
    }),
  },
  'candles.download': {
    request: candleDownloadRequest,
    response: z.object({
      from: timestampSchema,
      to: timestampSchema,
      /** Fetching resumed after the newest stored candle of the range. */
      resumed: z.boolean(),
      pages: z.number().int().nonnegative(),
      fetched: z.number().int().nonnegative(),
      inserted: z.number().int().nonnegative(),
      /** Candles the exchange sent that broke the candle rules (not stored). */
      rejected: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
    }),
  },
  'candles.gaps': {
    request: candleGapsRequest,
    response: z.object({
      count: z.number().int().nonnegative(),
      missingCandles: z.number().int().nonnegative(),
      from: timestampSchema.nullable(),
      to: timestampSchema.nullable(),
      /** Contiguous stored ranges `[from, to)`. */
      stored: z.array(z.object({ from: timestampSchema, to: timestampSchema, count: z.number().int().nonnegative() })),
      gaps: z.array(gapSchema),
    }),
  },

  /** Prepares a download of a series or a range as CSV or JSON; the file is read with `candles.exportChunk` or the host's `GET /download/<exportId>`. */
  'candles.export': {
    request: candleExportRequest,
    response: z.object({
      exportId: z.string().uuid(),
      /** Suggested name: series and range, no folder. */
      fileName: z.string(),
      mediaType: z.string(),
      /** Candles the file will hold. */
      rows: z.number().int().nonnegative(),
    }),
  },
  'candles.exportChunk': {
    request: candleExportChunkRequest,
    response: z.object({ text: z.string(), rows: z.number().int().nonnegative(), nextCursor: timestampSchema.nullable() }),
  },
  /** Deletes a series or a range of it (nothing else); `dryRun` counts first. */
  'candles.delete': {
    request: candleDeleteRequest,
    response: z.object({ count: z.number().int().nonnegative(), deleted: z.number().int().nonnegative(), dryRun: z.boolean() }),
  },
  /** Downloads the missing ranges of a series (or of a range of it) from the exchange; progress as `candles.progress` with operation `backfill`. */
  'candles.backfill': {
    request: candleBackfillRequest,
    response: z.object({
      gaps: z.number().int().nonnegative(),
      missingBefore: z.number().int().nonnegative(),
      fetched: z.number().int().nonnegative(),
      inserted: z.number().int().nonnegative(),
      missingAfter: z.number().int().nonnegative(),
      gapsAfter: z.number().int().nonnegative(),
      failures: z.array(gapSchema.extend({ message: z.string() })),
      /** Why the backfill gave up before the last gap, if it did. */
      stopped: z.string().optional(),
      durationMs: z.number().nonnegative(),
    }),
  },
  /** Bars of a higher interval built on the fly from stored finer candles (15m from 1m), aligned to the interval's boundaries. */
  'candles.derived': {
    request: candleDerivedRequest,
    response: z.object({
      source: intervalSchema,
      /** Width of each bar: the interval, or a whole multiple of it when the range needs more than maxPoints bars. */
      bucketMs: z.number().int().positive(),
      aggregated: z.boolean(),
      /** The range widened to whole bars. */
      from: timestampSchema,
      to: timestampSchema,
      /** Source candles in a complete bar; a bar with fewer (`count`) is partial: built from what is stored. */
      expected: z.number().int().positive(),
      partial: z.number().int().nonnegative(),
      candles: z.array(candleSchema.extend({ count: z.number().int().nonnegative() })).max(MAX_CHART_POINTS),
    }),
  },

  'notifications.list': {
    request: notificationListRequest,
    response: z.object({
      items: z.array(notificationSchema),
      total: z.number().int().nonnegative(),
      hasMore: z.boolean(),
      /** Set when part of the inbox could not be read (live notifications during a MongoDB outage). */
      partial: z.string().optional(),
    }),
  },
  'notifications.markRead': { request: notificationMarkReadRequest, response: z.object({ updated: z.number().int().nonnegative() }) },
  'notifications.unreadCount': { request: empty, response: z.object({ count: z.number().int().nonnegative() }) },

  'state.get': {
    /** `offset`/`limit` page the run's State and Memory entries (each list on its own; default: the first 1,000). */
    request: runIdRequest.extend({
      offset: z.number().int().nonnegative().optional(),
      limit: z.number().int().positive().max(MAX_PAGE_SIZE).optional(),
    }),
    response: z.object({
      runId: z.string(),
      session: z.array(z.object({ symbol: z.string(), value: z.unknown() })),
      state: z.array(z.object({ signalId: z.string(), bucketName: z.string(), value: z.unknown() })),
      memory: z.array(z.object({ signalId: z.string(), bucketName: z.string(), memoryId: z.string(), value: z.unknown() })),
      /** How many State / Memory entries the run has in all (the lists above are one page of them). */
      stateTotal: z.number().int().nonnegative().optional(),
      memoryTotal: z.number().int().nonnegative().optional(),
      recent: z.array(signalRowSchema),
      storage: z.array(signalRowSchema),
    }),
  },
  'matrix.get': {
    request: z.object({ runId: nonEmptyName.optional() }),
    response: z.object({
      rows: z.array(matrixRowSchema),
      /** Per running run: which mode it is in, so the UI can highlight the adapters it uses. */
      runs: z.array(z.object({ runId: z.string(), kind: runKindSchema, mode: z.enum(['live', 'backtest']) })),
    }),
  },

  'database.status': { request: empty, response: databaseStatusSchema },
  'database.test': {
    request: databaseTestRequest,
    response: z.object({
      ok: z.boolean(),
      maskedUri: z.string(),
      pingMs: z.number().nonnegative().optional(),
      serverVersion: z.string().optional(),
      error: z.string().optional(),
    }),
  },
  'database.connect': { request: databaseConnectRequest, response: databaseStatusSchema },

  'strategies.list': { request: empty, response: z.object({ strategies: z.array(strategyInfoSchema) }) },

  'settings.get': { request: empty, response: settingsSchema },
  'settings.set': { request: settingsPatchSchema, response: settingsSchema },

  'logs.tail': {
    request: z.object({ limit: z.number().int().positive().max(MAX_PAGE_SIZE).default(200), level: logLevelSchema.optional() }),
    response: z.object({ lines: z.array(logLineSchema) }),
  },

  /** backtest-kit bots found in the database (read-only; see shared/contract/bots.ts). */
  'bots.list': { request: botsListRequest, response: botsListResponse },
  'bots.get': { request: botsGetRequest, response: botsGetResponse },

  /** Parameter sweeps and strategy comparisons (see shared/contract/optimize.ts). */
  'optimize.start': { request: optimizeStartRequest, response: optimizeStartResponse },
  'optimize.stop': { request: optimizeStopRequest, response: optimizeSweepResponse },
  'optimize.resume': { request: optimizeResumeRequest, response: optimizeSweepResponse },
  'optimize.list': { request: optimizeListRequest, response: optimizeListResponse },
  'optimize.get': { request: optimizeGetRequest, response: optimizeSweepResponse },
  'optimize.trials': { request: optimizeTrialsRequest, response: optimizeTrialsResponse },
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

export type InvokeChannels = typeof invokeChannels;
export type InvokeChannel = keyof InvokeChannels;
/** What the caller passes (defaults may be omitted). */
export type RequestOf<C extends InvokeChannel> = z.input<InvokeChannels[C]['request']>;
/** What a handler receives after validation (defaults filled in). */
export type ParsedRequestOf<C extends InvokeChannel> = z.output<InvokeChannels[C]['request']>;
export type ResponseOf<C extends InvokeChannel> = z.output<InvokeChannels[C]['response']>;

export type DatabaseStatus = z.infer<typeof databaseStatusSchema>;
export type DatabaseSource = (typeof DATABASE_SOURCES)[number];
export type Settings = z.infer<typeof settingsSchema>;
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;
export type OsNotificationType = (typeof OS_NOTIFICATION_TYPES)[number];
