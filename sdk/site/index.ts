export * from './site';
export * from './apply';
