/**
 * The @backtest-kit/mongo document layer: the collections as the real package defines them, and
 * how the monitor's values map to the documents a bot reads (and back). See
 * docs/backtest-kit-documents.md.
 */
export * from './collections';
export * from './codecs';
export * from './schema';
export { botSignalRowSchema, lifetimeFromPayload, lifetimeToPayload, NO_LIFETIME, signalRowFromPayload, signalRowProblems, signalRowToPayload, SIGNAL_ROW_PATHS } from './signal-row';
export { notificationFromDocument, notificationToDocument, NOTIFICATION_PATHS } from './notification';
export { logLineFromDocument, logLineToDocument, LOG_PATHS } from './log-entry';
export { kitDocument, readKitDocuments, type KitDocument } from './reader';
