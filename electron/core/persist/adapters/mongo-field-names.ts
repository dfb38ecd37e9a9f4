// The escaping lives with the document layer (it shapes what is stored under `payload`).
export { fromStoredFieldNames, toStoredFieldNames } from '../../backtest-kit/documents/field-names';
