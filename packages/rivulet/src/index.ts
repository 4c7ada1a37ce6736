export * from './log/index.ts';
export * from './model/index.ts';
