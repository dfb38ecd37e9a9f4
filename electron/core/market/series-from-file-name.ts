// Moved to shared/ so the Import panel can show the same guess the importer makes.
export { seriesFromFileName, type SeriesHint } from '../../../shared/series-from-file-name';
