// The mini program runtime inside the logic layer. Natives live on __mp; only
// ids and plain data cross to Rust. Identity (appId, user) is never read from here.
(function (global) {
  'use strict';
  var native = global.__mp;
  delete global.__mp;
  // What the host calls (entry, dispatch, reply, rejection): returned to it
  // as this script's value, never a global the mini program could reach.
  var bridge = {};
  var appOptions = null;
  var appInstance = null;
  var pageDefs = {};            // route -> options object
  var pages = {};               // page id -> instance
  var stack = [];               // page ids, bottom first
  var callbacks = {};           // setData callback id -> function
  var nextCallback = 1;
  var timers = {};              // timer id -> {fn, args}
  var nextTimer = 1;

  function fmt(args) {
    var out = [];
    for (var i = 0; i < args.length; i++) {
      var a = args[i];
      if (typeof a === 'string') out.push(a);
      else if (a instanceof Error) out.push(String(a));
      else { try { out.push(native.stringify(a)); } catch (e) { out.push(String(a)); } }
    }
    return out.join(' ');
  }
  global.console = {
    log: function () { native.log('info', fmt(arguments)); },
    info: function () { native.log('info', fmt(arguments)); },
    debug: function () { native.log('debug', fmt(arguments)); },
    warn: function () { native.log('warn', fmt(arguments)); },
    error: function () { native.log('error', fmt(arguments)); }
  };

  // App events the program listens to through `my.on*` (Alipay's
  // onAppShow/onAppHide/onError/onUnhandledRejection): each listener once,
  // in the order added, each guarded; `my.off*` without a callback removes all.
  var appListeners = { show: [], hide: [], error: [], rejection: [] };
  function listenApp(kind) {
    return function (cb) {
      if (typeof cb === 'function' && appListeners[kind].indexOf(cb) < 0) appListeners[kind].push(cb);
    };
  }
  function unlistenApp(kind) {
    return function (cb) {
      if (cb === undefined) { appListeners[kind] = []; return; }
      var i = appListeners[kind].indexOf(cb);
      if (i >= 0) appListeners[kind].splice(i, 1);
    };
  }
  function emitApp(kind, args) {
    var l = appListeners[kind].slice();
    for (var i = 0; i < l.length; i++) {
      try { l[i].apply(undefined, args); }
      catch (e) { native.error('uncaught', 'in a my.on' + kind + ' listener: ' + String(e), ''); }
    }
  }

  // `site`, when given, says where the error is better than the stack does.
  function report(kind, err, site) {
    var message = (err && err.message !== undefined) ? String(err.name ? err.name + ': ' + err.message : err.message)
      // A failed my.* call rejects with {error, errorMessage}.
      : (err && err.errorMessage !== undefined) ? 'error ' + err.error + ': ' + String(err.errorMessage)
      : String(err);
    var stack = (err && typeof err.stack === 'string') ? err.stack : '';
    native.error(kind, message, site || stack);
    if (kind === 'rejection') emitApp('rejection', [{ reason: err, promise: undefined }]);
    else emitApp('error', [message, stack]);
    var hook = kind === 'rejection' ? 'onUnhandledRejection' : 'onError';
    if (appInstance && typeof appInstance[hook] === 'function') {
      try {
        if (hook === 'onError') appInstance.onError(message);
        else appInstance.onUnhandledRejection({ reason: err });
      } catch (e) { native.error('uncaught', 'in ' + hook + ': ' + String(e), ''); }
    }
  }

  function guard(fn, self, args) {
    try { return fn.apply(self, args || []); } catch (e) { report('uncaught', e); }
  }

  // Path keys as Alipay reads them: 'a.b', 'list[3].name', '[0]' (and
  // 'a.[0]', as Taro writes). Read natively, by the reader the view applies
  // them with (render/src/data.rs): a key that is not digits in brackets,
  // an empty key, a key that reaches a prototype, an index over 100,000
  // and more than 64 segments are refused before anything is sent or set.
  function parsePath(path) { return native.parsePath(path); }
  function setPath(obj, keys, value) {
    var cur = obj;
    for (var i = 0; i < keys.length - 1; i++) {
      var k = keys[i];
      if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = (typeof keys[i + 1] === 'number') ? [] : {};
      cur = cur[k];
    }
    if (keys.length) cur[keys[keys.length - 1]] = value;
  }


  // Modules: one registry for every file (app.js, pages, utils, node_modules),
  // CommonJS with Babel's interop for ES modules (rewritten by the host's
  // unit before they run). A record is in the registry before its code runs,
  // so a cycle gets the partial exports, as in Node; a module that throws is
  // removed, and a later require tries again.
  var registry = {};
  function dirOf(id) { var i = id.lastIndexOf('/'); return i < 0 ? '' : id.slice(0, i); }
  // A module runs as a method of its own exports object (under a symbol no
  // program sees), so `this === module.exports` costs no native call: each
  // level of nested requires is two calls of the engine's recursion limit.
  var RUN = typeof Symbol === 'function' ? Symbol('mpkit.run') : '__mp_run';
  function makeRequire(from) {
    return function require(spec) {
      if (typeof spec !== 'string') throw new TypeError('require() expects a string, got ' + typeof spec);
      var id;
      try { id = native.resolve(from, spec); }
      catch (e) {
        var err = new Error(e && e.message !== undefined ? e.message : String(e));
        err.code = 'MODULE_NOT_FOUND';
        throw err;
      }
      var m = registry[id];
      if (m) return m.exports;
      m = { id: id, filename: id, dirname: dirOf(id), exports: {}, loaded: false };
      registry[id] = m;
      try {
        if (/\.json$/.test(id)) {
          m.exports = JSON.parse(native.source(id));
        } else {
          var compiled = native.compile(id);
          var fn = compiled[0];
          if (compiled[1]) {
            fn(m.exports, makeRequire(id), m, id, m.dirname);
          } else {
            var self = m.exports;
            self[RUN] = fn;
            try { self[RUN](m.exports, makeRequire(id), m, id, m.dirname); }
            finally { try { delete self[RUN]; } catch (e) { /* frozen by the module */ } }
          }
        }
      } catch (e) {
        delete registry[id];
        throw e;
      }
      m.loaded = true;
      return m.exports;
    };
  }
  var entryRequire = makeRequire('');
  function load(id) { return entryRequire('/' + id); }
  bridge.entry = function (file) { load(file); };
  global.App = function (options) {
    if (appOptions) throw new Error('App() may be called only once');
    appOptions = options || {};
    appInstance = Object.create(appOptions);
    appInstance.globalData = appOptions.globalData || {};
  };
  global.getApp = function () { return appInstance; };
  global.Page = function (options) {
    var route = native.currentRoute();
    if (!route) throw new Error('Page() must be called while a page file loads');
    if (pageDefs[route]) native.warn('page', 'Page() was called twice for ' + route + '; the later call wins');
    pageDefs[route] = options || {};
  };
  global.getCurrentPages = function () {
    return stack.map(function (id) { return pages[id]; });
  };

  function makePage(id, route, query) {
    // A page without a script (or whose script never called Page()) still renders.
    var def = pageDefs[route] || {};
    var page = Object.create(def);
    var initial = def.data;
    page.data = (initial && typeof initial === 'object') ? JSON_clone(initial) : {};
    page.route = route;
    page.options = query;
    page.setData = function (obj, cb) { sendData(id, 0, page.data, obj, cb); };
    page.$spliceData = function (obj, cb) { spliceData(id, 0, page.data, obj, cb); };
    page.$batchedUpdates = function (fn) { if (typeof fn === 'function') fn(); };
    page.$id = id;
    // The typings' shared instance methods (lib.shared.d.ts).
    page.$selectComponent = function (sel) { return components().select(id, 0, sel, false); };
    page.$selectAllComponents = function (sel) { return components().select(id, 0, sel, true); };
    page.createSelectorQuery = function () { return views().createSelectorQuery(null); };
    page.createIntersectionObserver = function (o) { return views().createIntersectionObserver(null, o); };
    return page;
  }

  // setData of a page (comp 0) or of a component instance: every path is
  // checked before anything is sent or set.
  // [segments, value, …] of a setData object's keys; throws on the first refused one.
  function checkPaths(obj) { return native.paths(obj); }
  function callbackId(cb) {
    if (typeof cb !== 'function') return 0;
    var cbId = nextCallback++;
    callbacks[cbId] = cb;
    return cbId;
  }
  function sendData(pageId, comp, data, obj, cb) {
    var paths = checkPaths(obj);
    native.setData(pageId, obj, callbackId(cb), comp);
    for (var i = 0; i < paths.length; i += 2) setPath(data, paths[i], paths[i + 1]);
  }
  function getPath(obj, keys) {
    var cur = obj;
    for (var i = 0; i < keys.length; i++) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = cur[keys[i]];
    }
    return cur;
  }
  // $spliceData({'a.b': [start, deleteCount, ...items]}): Array.prototype.splice
  // on each target, which must be an array; the new arrays are what is sent.
  function spliceData(pageId, comp, data, obj, cb, send) {
    var paths = checkPaths(obj);
    var out = {};
    for (var i = 0; i < paths.length; i += 2) {
      var target = getPath(data, paths[i]);
      var args = paths[i + 1];
      if (!Array.isArray(target)) throw new TypeError('$spliceData: "' + paths[i].join('.') + '" is not an array');
      if (!Array.isArray(args)) throw new TypeError('$spliceData expects [start, deleteCount, ...items] for "' + paths[i].join('.') + '"');
      var copy = target.slice();
      Array.prototype.splice.apply(copy, args);
      out[Object.keys(obj)[i / 2]] = copy;
    }
    if (send) send(out, cb);
    else sendData(pageId, comp, data, out, cb);
  }
  function JSON_clone(v) { return native.clone(v); }

  // The component runtime (components.js), compiled on first use.
  var componentRuntime = null;
  function components() {
    if (!componentRuntime) {
      componentRuntime = native.componentRuntime()({
        native: native, pages: pages, guard: guard, report: report, load: load,
        checkPaths: checkPaths, callbackId: callbackId, spliceData: spliceData,
        parsePath: parsePath, getPath: getPath, views: views, mixins: mixinRegistry,
        navigation: native.navigation,
        navigate: function (name, opts) { return hostCall(name, opts, new Error().stack); }
      });
    }
    return componentRuntime;
  }
  global.Component = function (options) { components().Component(options); };
  // Mixin(options): registers a mixin for Component()'s `mixins`, by the
  // identifier it returns (compat.md B10).
  var mixinRegistry = {};
  var nextMixin = 1;
  global.Mixin = function (options) {
    var id = 'mixin-' + (nextMixin++);
    mixinRegistry[id] = (options && typeof options === 'object') ? options : {};
    return id;
  };
  global.requirePlugin = function (name) {
    throw new Error("plugin '" + String(name) + "' is not available in this host");
  };

  function callHook(target, name, args) {
    if (target && typeof target[name] === 'function') return guard(target[name], target, args);
  }

  bridge.dispatch = function (msg) {
    switch (msg.kind) {
      case 'appLaunch':
        if (!appInstance) { appOptions = {}; appInstance = { globalData: {} }; }
        callHook(appInstance, 'onLaunch', [msg.options]);
        callHook(appInstance, 'onShow', [msg.options]);
        emitApp('show', [msg.options || {}]);
        return;
      case 'appShow':
        callHook(appInstance, 'onShow', [msg.options || {}]);
        emitApp('show', [msg.options || {}]);
        return;
      case 'appHide':
        callHook(appInstance, 'onHide', []);
        emitApp('hide', []);
        return;
      case 'appError': callHook(appInstance, 'onError', [msg.message]); return;
      case 'pageCreate': {
        var page;
        try { page = makePage(msg.page, msg.route, msg.query || {}); }
        catch (e) { report('uncaught', e); return false; }
        pages[msg.page] = page;
        native.initialData(msg.page, page.data);
        return true;
      }
      case 'stack': stack = msg.pages; return;
      case 'pageHook': {
        var p = pages[msg.page];
        if (!p) return;
        callHook(p, msg.hook, msg.args || []);
        if (componentRuntime) componentRuntime.pageEvent(msg.page, msg.hook, msg.args || []);
        if (msg.hook === 'onUnload') {
          if (componentRuntime) componentRuntime.unmountPage(msg.page);
          delete pages[msg.page];
        }
        return;
      }
      case 'components': {
        var rt = components();
        for (var c = 0; c < msg.tasks.length; c++) {
          try { rt.task(msg.page, msg.tasks[c]); } catch (e) { report('uncaught', e); }
        }
        return;
      }
      case 'componentEvent': components().event(msg); return;
      case 'event': {
        var pg = pages[msg.page];
        if (!pg) return;
        var h = pg[msg.handler];
        if (typeof h !== 'function') {
          report('uncaught', new Error('handler "' + msg.handler + '" is not a function on ' + pg.route), msg.site);
          return;
        }
        guard(h, pg, [msg.event]);
        return;
      }
      case 'timer': {
        var t = timers[msg.id];
        if (!t) return;
        if (!msg.repeat) delete timers[msg.id];
        guard(t.fn, global, t.args);
        return;
      }
      case 'flushed': {
        for (var i = 0; i < msg.callbacks.length; i++) {
          var cb = callbacks[msg.callbacks[i]];
          delete callbacks[msg.callbacks[i]];
          if (cb) guard(cb, global, []);
        }
        return;
      }
    }
  };

  function addTimer(fn, delay, args, repeat) {
    if (typeof fn !== 'function') throw new TypeError('timer callback must be a function');
    var id = nextTimer++;
    timers[id] = { fn: fn, args: args };
    native.setTimer(id, Math.max(0, Number(delay) || 0), repeat);
    return id;
  }
  global.setTimeout = function (fn, delay) { return addTimer(fn, delay, Array.prototype.slice.call(arguments, 2), false); };
  global.setInterval = function (fn, delay) { return addTimer(fn, delay, Array.prototype.slice.call(arguments, 2), true); };
  global.clearTimeout = global.clearInterval = function (id) {
    if (timers[id]) { delete timers[id]; native.clearTimer(id); }
  };

  bridge.rejection = function (reason) { report('rejection', reason); };

  // The view's own APIs (contexts.js), compiled on first use.
  var viewRuntime = null;
  function views() {
    if (!viewRuntime) viewRuntime = native.viewRuntime()({ hostCall: hostCall, guard: guard, native: native });
    return viewRuntime;
  }

  // Async host calls: success/fail/complete callbacks, or a Promise when none is given.
  var pending = {};
  var nextCall = 1;
  // `site` is where the mini program called from (a stack), for errors the
  // host finds in the call itself (a page not in app.json).
  function hostCall(name, args, site) {
    args = args || {};
    site = site || '';
    var id = nextCall++;
    var wantsCallbacks = typeof args.success === 'function' || typeof args.fail === 'function' || typeof args.complete === 'function';
    var params = {};
    for (var k in args) if (typeof args[k] !== 'function') params[k] = args[k];
    // Arguments the logic layer refuses (over 1 MB) throw where the call
    // was made, and leave nothing pending.
    function send() {
      try { native.call(name, params, id, site); }
      catch (e) { delete pending[id]; throw e; }
    }
    if (wantsCallbacks) {
      pending[id] = { success: args.success, fail: args.fail, complete: args.complete };
      send();
      return undefined;
    }
    pending[id] = null;
    send();
    return new Promise(function (resolve, reject) {
      pending[id] = { resolve: resolve, reject: reject };
    });
  }
  bridge.reply = function (id, ok, result) {
    var p = pending[id];
    if (!p) return;
    delete pending[id];
    if (p.resolve) { if (ok) p.resolve(result); else p.reject(result); return; }
    if (ok && typeof p.success === 'function') guard(p.success, global, [result]);
    if (!ok && typeof p.fail === 'function') guard(p.fail, global, [result]);
    if (typeof p.complete === 'function') guard(p.complete, global, [result]);
  };
  // Navigation goes to the host's dispatcher too; its calls carry where they
  // were made, for the page stack's errors. The names come from the host.
  function nav(name) { return function (opts) { return hostCall(name, opts, new Error().stack); }; }
  // `my` is a plain object, as on Alipay: each API this host offers is an
  // own, enumerable, writable property; any other name is undefined. The
  // program may add its own properties or wrap an API; the bridge to the
  // host stays in this closure either way.
  var my = {};
  // Plain assignments: own, enumerable, writable, configurable, as on Alipay.
  var offered = native.apis;
  // Alipay keeps these on the FileSystemManager, not on `my`: the host's
  // file APIs of those names are reached through my.getFileSystemManager().
  var FS_ONLY = ['readFile', 'writeFile', 'unlink', 'readdir'];
  var fsMethods = [];
  for (var a = 0; a < offered.length; a++) {
    var api = offered[a];
    if (api === 'canIUse') continue;
    if (FS_ONLY.indexOf(api) >= 0 || api === 'getFileInfo') fsMethods.push(api);
    if (FS_ONLY.indexOf(api) >= 0) continue;
    if (native.views.indexOf(api) >= 0) {
      // A factory whose object the view runtime builds (contexts.js).
      my[api] = (function (name) {
        return function (arg) {
          if (name === 'createSelectorQuery') return views().createSelectorQuery(null);
          if (name === 'createIntersectionObserver') return views().createIntersectionObserver(null, arg);
          return views()[name](arg);
        };
      })(api);
      continue;
    }
    my[api] = /Sync$/.test(api) || native.syncs.indexOf(api) >= 0 ? native.syncFn(api) : (function (name) { return function (opts) { return hostCall(name, opts); }; })(api);
  }
  for (var n = 0; n < native.navigation.length; n++) my[native.navigation[n]] = nav(native.navigation[n]);
  // Features of the runtime itself, beside the APIs the host offers.
  var FEATURES = { 'component2': true, 'page.$spliceData': true, 'component.$spliceData': true, 'component.observers': true,
    'onAppShow': true, 'offAppShow': true, 'onAppHide': true, 'offAppHide': true, 'onError': true, 'offError': true,
    'onUnhandledRejection': true, 'offUnhandledRejection': true };
  if (fsMethods.length > 0) {
    var fsManager = null;
    my.getFileSystemManager = function getFileSystemManager() {
      if (fsManager) return fsManager;
      fsManager = {};
      for (var f = 0; f < fsMethods.length; f++) {
        fsManager[fsMethods[f]] = (function (name) { return function (opts) { return hostCall(name, opts); }; })(fsMethods[f]);
      }
      return fsManager;
    };
    FEATURES.getFileSystemManager = true;
  }
  my.canIUse = function canIUse(name) {
    name = String(name);
    if (FS_ONLY.indexOf(name.split('.')[0]) >= 0) return false;
    return FEATURES[name] === true || native.canIUse(name);
  };
  my.SDKVersion = native.sdkVersion;
  my.onAppShow = listenApp('show'); my.offAppShow = unlistenApp('show');
  my.onAppHide = listenApp('hide'); my.offAppHide = unlistenApp('hide');
  my.onError = listenApp('error'); my.offError = unlistenApp('error');
  my.onUnhandledRejection = listenApp('rejection'); my.offUnhandledRejection = unlistenApp('rejection');
  my.isIDE = false;
  my.env = { USER_DATA_PATH: 'mpkitfile://usr', clientName: 'mpkit', clientVersion: native.sdkVersion, platform: 'mpkit' };
  global.my = my;
  // Alipay's logic layer has a `navigator` with a `userAgent` (Taro's
  // runtime reads and redefines it); plain and writable, like `my`.
  global.navigator = {
    userAgent: 'Mozilla/5.0 (MiniProgram; mpkit/' + native.sdkVersion + ') AlipayClient/compatible',
    language: 'zh-CN',
    platform: 'mpkit'
  };
  return bridge;
})(this);
