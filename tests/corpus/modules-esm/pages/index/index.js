import Calculator, * as everything from '../../lib/index';
import { add, PI, counter, bump, version, constants } from '../../lib/index';
import describe from '../../lib/mixed';
import legacy, { name as legacyName } from '../../lib/legacy';
import * as legacyNs from '../../lib/legacy';
import { tiny } from 'tiny-lib';
import { scoped } from '@acme/ui-utils';
import deep from '@acme/ui-utils/sub/deep';
import data from '../../data.json';
const cjs = require('../../lib/math');
let devTool;
try { require('dev-only-tool'); devTool = 'packed'; } catch (e) { devTool = 'not packed'; }

const calc = new everything.Calculator();
Page({
  data: {
    named: add(1, 2) + ' ' + PI + ' ' + version + ' ' + constants.default,
    calc: calc.twice(21) + ' ' + (Calculator === undefined ? 'no default' : typeof Calculator),
    live: bump() + ' ' + cjs.counter,
    mixed: describe(),
    interop: legacy.name + ' ' + legacyName + ' ' + legacyNs.default.legacy + ' ' + String(cjs.__esModule),
    npm: tiny() + ' / ' + scoped + ' / ' + deep,
    json: data.items.length,
    devTool: devTool,
    app: getApp().globalData.version,
    keys: Object.keys(cjs).sort().join(','),
  },
  async lazy() {
    const m = await import('../../lib/constants');
    this.setData({ lazy: m.default + ' ' + m.VERSION });
  },
});
