export { type FileSinkOptions, fileSink, fileSinkFileName } from './file-sink.ts';
export { type FileSourceOptions, fileSource } from './file-source.ts';
