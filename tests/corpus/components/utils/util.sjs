import { cents } from './money.sjs';

export default {
  money: function (n) {
    return '¥' + cents(n * 100);
  },
};
