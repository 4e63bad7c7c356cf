export * from './math';
export { default as Calculator } from './math';
export * as constants from './constants';
export { VERSION as version } from './constants';
