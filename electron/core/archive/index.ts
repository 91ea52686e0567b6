/**
 * The safe archive layer shared by backups and by the release-archive updater: streamed tar
 * creation (parallel gzip, stored blocks for data that does not compress) and a strict extractor
 * into a staging folder.
 */
export {
  createTarArchive,
  startArchiveHelpers,
  type ArchiveInputEntry,
  type ArchivedFile,
  type CreateArchiveOptions,
  type CreateArchiveResult,
  type CreateArchiveProgress,
} from './tar-create';
export {
  extractArchive,
  explainWriteError,
  prepareDest,
  checkEntryPath,
  DEFAULT_EXTRACT_LIMITS,
  type ExtractOptions,
  type ExtractResult,
  type ExtractedEntry,
  type ExtractLimits,
  type ExpectedContent,
  type ExtractProgress,
} from './extract';
export { BlockingWriter, WriterStopped, type EntryWriter } from './entry-writer';
export { readTar, type TarEntryHeader, type TarEvent } from './tar-reader';
export { encodeHeader, END_OF_ARCHIVE, tarBytesOf, TarFormatError } from './tar-format';
export { looksCompressible } from './compressibility';
