// Date strings as the engines Alipay runs on read them. boa reads the ISO
// form and the RFC ones only, so `new Date('2024/03/01')`, which mini
// programs and their libraries write everywhere (Ant Design Mini's docs
// do), was NaN. `Date` becomes a thin wrapper of boa's: a single string it
// cannot parse is read as local time in the forms V8 and JavaScriptCore
// accept, 'YYYY/MM/DD', 'YYYY-MM-DD HH:mm[:ss[.SSS]]' (a space, not a T),
// 'YYYY/MM/DD HH:mm[:ss]' and 'MM/DD/YYYY [HH:mm[:ss]]'; everything else,
// and every other call, is boa's own. Evaluated before the prelude and in
// the sjs context.
(function (global) {
  'use strict';
  var NativeDate = global.Date;
  // Compiled on the first string boa cannot read: most launches have none.
  var YMD = null, MDY = null;
  function local(y, mo, d, h, mi, s, ms) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 59) return NaN;
    return new NativeDate(y, mo - 1, d, h, mi, s, ms).getTime();
  }
  function parse(s) {
    var t = NativeDate.parse(s);
    if (t === t) return t;
    if (!YMD) {
      YMD = /^\s*(\d{4})[\/-](\d{1,2})[\/-](\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,3}))?)?)?\s*$/;
      MDY = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$/;
    }
    var str = String(s), m = YMD.exec(str);
    if (m) {
      return local(+m[1], +m[2], +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0),
        m[7] ? +(m[7] + '00').slice(0, 3) : 0);
    }
    m = MDY.exec(str);
    if (m) return local(+m[3], +m[1], +m[2], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0), 0);
    return NaN;
  }
  function Date(year, month, day, hours, minutes, seconds, ms) {
    if (!new.target) return NativeDate();
    if (arguments.length === 1 && typeof year === 'string') {
      return Reflect.construct(NativeDate, [parse(year)], new.target);
    }
    return Reflect.construct(NativeDate, arguments, new.target);
  }
  Object.defineProperty(Date, 'prototype', { value: NativeDate.prototype });
  Object.defineProperty(NativeDate.prototype, 'constructor', { value: Date, writable: true, configurable: true });
  Date.now = NativeDate.now;
  Date.UTC = NativeDate.UTC;
  Date.parse = function parse_(s) { return parse(String(s)); };
  Object.defineProperty(Date.parse, 'name', { value: 'parse' });
  Object.defineProperty(global, 'Date', { value: Date, writable: true, configurable: true, enumerable: false });
})(this);
