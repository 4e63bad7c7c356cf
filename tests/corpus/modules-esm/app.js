import { VERSION } from './lib/constants';
App({ globalData: { version: VERSION } });
