/** The persistence layer's public API: build services with createPersistence; the rest is for the app and tests. */
export { createPersistence, persistRoot, spoolPath } from './create-persistence';
export type {
  CreatePersistenceOptions,
  Persistence,
  PersistenceEvents,
  SpoolStatus,
  SessionService,
  MemoryService,
  StateService,
  DumpService,
  ReportService,
} from './create-persistence';
export {
  DEFAULT_MATRIX,
  DEFAULT_PERSIST_CONFIG,
  MatrixConfigError,
  PERSIST_CONFIG_ENV,
  effectiveMatrix,
  matrixTable,
  parsePersistConfig,
  persistConfigFromEnv,
  persistConfigFromFile,
} from './matrix-config';
export type { MatrixOverrides, PersistConfig, RunMatrixRequest } from './matrix-config';
export { CorruptEntryError, LocalWriteError, PersistError, PersistValidationError, UnsupportedOperationError } from './contract';
export type { ContextKey, Entry, ListPage, ListQuery, PersistAdapter } from './contract';
export { KeyValueService } from './services/key-value-service';
export { LogService } from './services/log-service';
export { NotificationService } from './services/notification-service';
export { RecentService } from './services/recent-service';
export { StorageService } from './services/storage-service';
export { SUBSYSTEM_DEFS } from './subsystems';
export type { DumpKey, JsonValue, LogKey, MemoryKey, NotificationKey, RecentKey, ReportKey, SessionKey, StateKey, StorageKey } from './subsystems';
export {
  DumpDbService,
  LogDbService,
  MarkdownDbService,
  MemoryDbService,
  NotificationDbService,
  RecentDbService,
  SessionDbService,
  StateDbService,
  StorageDbService,
} from './adapters/db-services';
export { legacyLayoutCounts, legacyLayoutStatus, migrateDatabase } from './migration';
export type { CollectionMigration, LegacyLayoutCounts, MigrationOptions, MigrationReport } from './migration';
