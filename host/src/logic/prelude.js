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

  // `site`, when given, says where the error is better than the stack does.
  function report(kind, err, site) {
    var message = (err && err.message !== undefined) ? String(err.name ? err.name + ': ' + err.message : err.message)
      // A failed my.* call rejects with {error, errorMessage}.
      : (err && err.errorMessage !== undefined) ? 'error ' + err.error + ': ' + String(err.errorMessage)
      : String(err);
    var stack = (err && typeof err.stack === 'string') ? err.stack : '';
    native.error(kind, message, site || stack);
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

  // The host refuses longer paths too: page data must stay shallow enough to
  // free and compare without deep recursion.
  var MAX_PATH_SEGMENTS = 64;
  // Path keys as Alipay reads them: 'a.b', 'list[3].name', '[0]'. A key is
  // one or more characters other than '.', '[' and ']'; an index is decimal
  // digits in brackets, at most MAX_INDEX. Anything else is refused before
  // anything is sent or set, and so are the keys that reach a prototype.
  var MAX_INDEX = 100000;
  function badPath(path, why) { return new TypeError('setData path "' + path + '" is refused: ' + why); }
  function parsePath(path) {
    var out = [], i = 0, n = path.length;   // '' names nothing: it sets nothing
    while (i < n) {
      var c = path.charAt(i);
      if (c === '[') {
        var close = path.indexOf(']', i + 1);
        var digits = close < 0 ? '' : path.slice(i + 1, close);
        if (!/^[0-9]+$/.test(digits)) throw badPath(path, 'an index is digits in brackets (at ' + i + ')');
        if (digits.length > 6 || Number(digits) > MAX_INDEX) {
          throw new RangeError('setData index ' + digits + ' is over ' + MAX_INDEX);
        }
        out.push(Number(digits));
        i = close + 1;
      } else {
        if (out.length) {
          if (c !== '.') throw badPath(path, 'expected "." or "[" at ' + i);
          i++;
        }
        var start = i;
        while (i < n && '.[]'.indexOf(path.charAt(i)) < 0) i++;
        var key = path.slice(start, i);
        if (!key) throw badPath(path, 'an empty key at ' + start);
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
          throw badPath(path, '"' + key + '" is not a data key');
        }
        out.push(key);
      }
    }
    return out;
  }
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
    return page;
  }

  // setData of a page (comp 0) or of a component instance: every path is
  // checked before anything is sent or set.
  function checkPaths(obj) {
    if (obj === null || typeof obj !== 'object') throw new TypeError('setData expects an object');
    var paths = [];
    for (var k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      var keys = parsePath(k);
      if (keys.length > MAX_PATH_SEGMENTS) {
        throw new RangeError('setData path has ' + keys.length + ' segments, more than ' + MAX_PATH_SEGMENTS);
      }
      paths.push(keys, obj[k]);
    }
    return paths;
  }
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
  // A component's data is replaced, not changed in place: each path is
  // set on copies of the objects along it, so the data before an update
  // (didUpdate's prevData) keeps its values, and what the update did not
  // touch keeps its identity (prevData.a === this.data.a), as on Alipay.
  function copyOf(o) { return Array.isArray(o) ? o.slice() : assign({}, o); }
  function cowSet(obj, keys, value) {
    if (!keys.length) return obj;
    var root = copyOf(obj), cur = root, src = obj;
    for (var i = 0; i < keys.length - 1; i++) {
      var next = (src !== null && typeof src === 'object') ? src[keys[i]] : undefined;
      var copy = (next !== null && typeof next === 'object') ? copyOf(next)
        : (typeof keys[i + 1] === 'number' ? [] : {});
      cur[keys[i]] = copy;
      cur = copy;
      src = next;
    }
    cur[keys[keys.length - 1]] = value;
    return root;
  }
  function sendComponentData(rec, obj, cb) {
    var paths = checkPaths(obj);
    native.setData(rec.page, obj, callbackId(cb), rec.id);
    var data = rec.inst.data;
    for (var i = 0; i < paths.length; i += 2) data = cowSet(data, paths[i], paths[i + 1]);
    rec.inst.data = data;
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
  function spliceData(pageId, comp, data, obj, cb, rec) {
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
    if (rec) sendComponentData(rec, out, cb);
    else sendData(pageId, comp, data, out, cb);
  }
  function JSON_clone(v) { return native.clone(v); }

  // Components (compat.md B2–B10): Component() registers the options of the
  // component file being loaded; the view asks for instances through
  // 'components' tasks (create, props, remove, mounted, updated).
  var compDefs = {};            // base path -> definition
  var compLoaded = {};          // base path -> whether its script was run
  var compRecs = {};            // page id -> { instance id -> record }
  var loadingComponent = null;
  var recOf = typeof WeakMap === 'function' ? new WeakMap() : null;
  var HOOKS = ['onInit', 'deriveDataFromProps', 'didMount', 'didUpdate', 'didUnmount'];
  function flattenMixins(list, out, depth) {
    if (!Array.isArray(list)) return;
    if (depth > 16) throw new RangeError('mixins nested more than 16 deep');
    for (var i = 0; i < list.length; i++) {
      var m = list[i];
      if (!m || typeof m !== 'object') continue;
      flattenMixins(m.mixins, out, depth + 1);
      out.push(m);
    }
  }
  // Own enumerable keys by Object.keys: boa's for-in is several times slower.
  function assign(to, from) {
    if (from && typeof from === 'object') {
      var keys = Object.keys(from);
      for (var i = 0; i < keys.length; i++) to[keys[i]] = from[keys[i]];
    }
    return to;
  }
  function define(options) {
    var all = [];
    flattenMixins(options.mixins, all, 0);
    all.push(options);
    var def = { data: [], props: {}, hooks: {}, ref: options.ref, proto: {}, observers: [] };
    def.observing = !!(options.options && options.options.observers === true);
    for (var h = 0; h < HOOKS.length; h++) def.hooks[HOOKS[h]] = [];
    for (var i = 0; i < all.length; i++) {
      var m = all[i];
      if (m.data !== undefined) def.data.push(m.data);
      assign(def.props, m.props);
      assign(def.proto, m.methods);
      for (var j = 0; j < HOOKS.length; j++) if (typeof m[HOOKS[j]] === 'function') def.hooks[HOOKS[j]].push(m[HOOKS[j]]);
      if (m.observers && typeof m.observers === 'object') {
        for (var key in m.observers) {
          if (!Object.prototype.hasOwnProperty.call(m.observers, key) || typeof m.observers[key] !== 'function') continue;
          def.observers.push({ paths: key.split(',').map(function (p) { return p.trim(); }), fn: m.observers[key] });
        }
      }
    }
    if (def.observers.length && !def.observing) {
      native.warn('component', 'observers run only with options: { observers: true }; these are ignored');
      def.observers = [];
    }
    for (var w = 0; w < WARNED_OPTIONS.length; w++) {
      if (options[WARNED_OPTIONS[w]] !== undefined) native.warn('component', 'Component() option "' + WARNED_OPTIONS[w] + '" is not supported yet and is ignored');
    }
    def.proto.setData = function (obj, cb) {
      var rec = recOf && recOf.get(this);
      if (!rec || !rec.alive) { native.warn('component', 'setData on a component that is not mounted is ignored'); return; }
      snapshot(rec);
      sendComponentData(rec, obj, cb);
      noteChanged(rec, obj);
    };
    def.proto.$spliceData = function (obj, cb) {
      var rec = recOf && recOf.get(this);
      if (!rec || !rec.alive) { native.warn('component', '$spliceData on a component that is not mounted is ignored'); return; }
      snapshot(rec);
      spliceData(rec.page, rec.id, this.data, obj, cb, rec);
      noteChanged(rec, obj);
    };
    def.proto.hasMixin = function (m) { return all.indexOf(m) >= 0; };
    return def;
  }
  var WARNED_OPTIONS = ['lifetimes', 'relations', 'externalClasses', 'pageEvents'];
  var EMPTY_DEF = null;
  global.Component = function (options) {
    if (!loadingComponent) throw new Error('Component() must be called while a component file loads');
    compDefs[loadingComponent] = define(options || {});
  };
  global.requirePlugin = function (name) {
    throw new Error("plugin '" + String(name) + "' is not available in this host");
  };
  // Observers (B7): the paths an update changed, matched against each
  // observer's paths once the update is rendered, before didUpdate.
  function noteChanged(rec, obj) {
    if (!rec.def.observers.length) return;
    for (var k in obj) if (Object.prototype.hasOwnProperty.call(obj, k)) rec.changed.push(parsePath(k));
  }
  function observedKeys(p) {
    if (p === '**') return null;
    return parsePath(p.replace(/\.\*\*$/, ''));
  }
  function overlaps(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) if (String(a[i]) !== String(b[i])) return false;
    return true;
  }
  function runObservers(rec) {
    var changed = rec.changed;
    rec.changed = [];
    if (!changed.length) return;
    var inst = rec.inst;
    var view = null;
    for (var i = 0; i < rec.def.observers.length; i++) {
      var o = rec.def.observers[i];
      var keys = [], hit = false;
      for (var j = 0; j < o.paths.length; j++) {
        var k;
        try { k = observedKeys(o.paths[j]); } catch (e) { k = undefined; }
        keys.push(k);
        if (k === null) hit = true;
        for (var c = 0; !hit && k && c < changed.length; c++) if (overlaps(changed[c], k)) hit = true;
      }
      if (!hit) continue;
      if (!view) view = assign(assign({}, inst.props), inst.data);
      guard(o.fn, inst, keys.map(function (k) { return k === null ? view : k ? getPath(view, k) : undefined; }));
    }
  }
  // Before an update changes data or props: what didUpdate gets.
  function snapshot(rec) {
    if (!rec.mounted || rec.prevData) return;
    rec.prevProps = rec.inst.props;
    // The data object itself: updates replace it (sendComponentData).
    rec.prevData = rec.inst.data;
  }
  function runHooks(rec, name, args) {
    var list = rec.def.hooks[name];
    for (var i = 0; i < list.length; i++) guard(list[i], rec.inst, args);
  }
  function ownerOf(pageId, owner) {
    if (!owner) return pages[pageId];
    var r = compRecs[pageId] && compRecs[pageId][owner];
    return r ? r.inst : undefined;
  }
  // props = defaults, then every attribute, then the owner's methods its
  // on*/catch* attributes name (left out when the owner has none).
  function makeProps(rec, t) {
    var props = assign(assign({}, rec.def.props), t.props);
    var owner = ownerOf(rec.page, rec.owner);
    for (var i = 0; i < t.handlers.length; i++) {
      var prop = t.handlers[i][0], method = t.handlers[i][1];
      if (owner && typeof owner[method] === 'function') {
        props[prop] = (function (o, m) { return function () { return o[m].apply(o, arguments); }; })(owner, method);
      }
    }
    return props;
  }
  // What a component's template sees of its props: a function prop is
  // `true` there (Ant Design Mini writes onTap="{{onTap ? 'onTap' : ''}}"),
  // never the function.
  function viewProps(props) {
    var out = {}, keys = Object.keys(props);
    for (var i = 0; i < keys.length; i++) {
      var v = props[keys[i]];
      out[keys[i]] = typeof v === 'function' ? true : v;
    }
    return out;
  }
  function componentDef(is, script) {
    if (!compLoaded[is]) {
      compLoaded[is] = true;
      if (script) {
        loadingComponent = is;
        try { load(is + '.js'); } catch (e) { report('uncaught', e); } finally { loadingComponent = null; }
      }
    }
    if (compDefs[is]) return compDefs[is];
    if (!EMPTY_DEF) EMPTY_DEF = define({});
    return EMPTY_DEF;
  }
  function componentTask(pageId, t) {
    var recs = compRecs[pageId] || (compRecs[pageId] = {});
    var rec = recs[t.id];
    switch (t.op) {
      case 'create': {
        var def = componentDef(t.is, t.script);
        var inst = Object.create(def.proto);
        rec = { inst: inst, def: def, page: pageId, id: t.id, owner: t.owner, alive: true, mounted: false, prevProps: null, prevData: null, changed: [] };
        recs[t.id] = rec;
        if (recOf) recOf.set(inst, rec);
        // A deep copy per instance: of each source, merged, mixins first.
        var data = {};
        for (var i = 0; i < def.data.length; i++) {
          var d = def.data[i];
          assign(data, native.clone(typeof d === 'function' ? guard(d, inst, []) : d));
        }
        inst.data = data;
        inst.props = makeProps(rec, t);
        inst.is = '/' + t.is;
        inst.$id = t.id;
        inst.$page = pages[pageId];
        // Which lifecycles after a render it has, so the view asks only for those.
        var after = (def.hooks.didMount.length ? 1 : 0) |
          ((def.hooks.didUpdate.length || def.observers.length) ? 2 : 0);
        native.componentState(pageId, t.id, viewProps(inst.props), inst.data, after);
        runHooks(rec, 'onInit', []);
        runHooks(rec, 'deriveDataFromProps', [inst.props]);
        if (t.ref) {
          var owner = ownerOf(pageId, t.owner);
          if (owner && typeof owner[t.ref] === 'function') {
            var value = typeof def.ref === 'function' ? guard(def.ref, inst, []) : inst;
            guard(owner[t.ref], owner, [value]);
          } else {
            native.warn('component', 'ref "' + t.ref + '" names no method of its owner');
          }
        }
        return;
      }
      case 'props': {
        if (!rec) return;
        var next = makeProps(rec, t);
        // What the owner passes unchanged keeps its identity.
        for (var si = 0; si < t.same.length; si++) {
          if (Object.prototype.hasOwnProperty.call(rec.inst.props, t.same[si])) next[t.same[si]] = rec.inst.props[t.same[si]];
        }
        snapshot(rec);
        if (rec.def.observers.length) {
          var before = rec.inst.props;
          for (var pk in assign(assign({}, before), next)) if (before[pk] !== next[pk]) rec.changed.push([pk]);
        }
        runHooks(rec, 'deriveDataFromProps', [next]);
        rec.inst.props = next;
        native.componentState(pageId, t.id, viewProps(next), undefined);
        return;
      }
      case 'mounted':
        if (!rec) return;
        rec.mounted = true;
        rec.changed = [];
        runHooks(rec, 'didMount', []);
        return;
      case 'updated': {
        if (!rec || !rec.mounted) return;
        // What an observer sets is an update of its own, with its own didUpdate.
        var prevProps = rec.prevProps, prevData = rec.prevData;
        rec.prevProps = rec.prevData = null;
        runObservers(rec);
        if (prevData) runHooks(rec, 'didUpdate', [prevProps, prevData]);
        return;
      }
      case 'remove':
        if (!rec) return;
        delete recs[t.id];
        rec.alive = false;
        runHooks(rec, 'didUnmount', []);
        return;
    }
  }
  function unmountPage(pageId) {
    var recs = compRecs[pageId];
    delete compRecs[pageId];
    if (!recs) return;
    var ids = Object.keys(recs).map(Number).sort(function (a, b) { return a - b; });
    for (var i = 0; i < ids.length; i++) {
      var rec = recs[ids[i]];
      rec.alive = false;
      runHooks(rec, 'didUnmount', []);
    }
  }


  function callHook(target, name, args) {
    if (target && typeof target[name] === 'function') return guard(target[name], target, args);
  }

  bridge.dispatch = function (msg) {
    switch (msg.kind) {
      case 'appLaunch':
        if (!appInstance) { appOptions = {}; appInstance = { globalData: {} }; }
        callHook(appInstance, 'onLaunch', [msg.options]);
        callHook(appInstance, 'onShow', [msg.options]);
        return;
      case 'appShow': callHook(appInstance, 'onShow', [msg.options || {}]); return;
      case 'appHide': callHook(appInstance, 'onHide', []); return;
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
        if (msg.hook === 'onUnload') { unmountPage(msg.page); delete pages[msg.page]; }
        return;
      }
      case 'components': {
        for (var c = 0; c < msg.tasks.length; c++) {
          try { componentTask(msg.page, msg.tasks[c]); } catch (e) { report('uncaught', e); }
        }
        return;
      }
      case 'componentEvent': {
        var r = compRecs[msg.page] && compRecs[msg.page][msg.component];
        if (!r) return;
        var ch = r.inst[msg.handler];
        if (typeof ch !== 'function') {
          native.warn('component', 'handler "' + msg.handler + '" is not a method of ' + r.inst.is + (msg.site ? ' (' + msg.site + ')' : ''));
          return;
        }
        guard(ch, r.inst, [msg.event]);
        return;
      }
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
  for (var a = 0; a < offered.length; a++) {
    var api = offered[a];
    if (api === 'canIUse') continue;
    my[api] = /Sync$/.test(api) ? native.syncFn(api) : (function (name) { return function (opts) { return hostCall(name, opts); }; })(api);
  }
  for (var n = 0; n < native.navigation.length; n++) my[native.navigation[n]] = nav(native.navigation[n]);
  // Features of the runtime itself, beside the APIs the host offers.
  var FEATURES = { 'component2': true, 'page.$spliceData': true, 'component.$spliceData': true, 'component.observers': true };
  my.canIUse = function canIUse(name) { name = String(name); return FEATURES[name] === true || native.canIUse(name); };
  my.SDKVersion = native.sdkVersion;
  my.isIDE = false;
  my.env = { USER_DATA_PATH: 'mpkitfile://usr', clientName: 'mpkit', clientVersion: native.sdkVersion, platform: 'mpkit' };
  global.my = my;
  return bridge;
})(this);
