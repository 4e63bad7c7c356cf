// The view's own APIs (compat.md B13): my.createSelectorQuery and the
// component contexts, compiled the first time a program asks for one.
// Each object is built here; what it does to the page is one call under its
// factory's name, gated by the host like every my.* call and answered by
// the page and its surface. `kit` is what it uses of the prelude.
(function (kit) {
  'use strict';
  var hostCall = kit.hostCall, guard = kit.guard, native = kit.native;

  // A page or component instance as a query's scope (`.in(component)`).
  function scopeOf(inst) {
    if (!inst || typeof inst !== 'object') return null;
    if (inst.$page && typeof inst.$page === 'object') return { page: inst.$page.$id, comp: inst.$id };
    if (typeof inst.$id === 'number') return { page: inst.$id, comp: 0 };
    return null;
  }

  var RECT = { id: true, dataset: true, rect: true, size: true };
  var SCROLL = { id: true, dataset: true, scrollOffset: true };

  function SelectorQuery(scope) {
    this._scope = scope || { page: 0, comp: 0 };
    this._queries = [];
    this._callbacks = [];
    this._current = null;
  }
  SelectorQuery.prototype.select = function (selector) {
    this._current = { selector: String(selector), all: false };
    return this;
  };
  SelectorQuery.prototype.selectAll = function (selector) {
    this._current = { selector: String(selector), all: true };
    return this;
  };
  SelectorQuery.prototype.selectViewport = function () {
    this._current = { viewport: true };
    return this;
  };
  SelectorQuery.prototype['in'] = function (component) {
    var scope = scopeOf(component);
    if (!scope) throw new TypeError('SelectorQuery.in expects a page or component instance');
    this._scope = scope;
    return this;
  };
  SelectorQuery.prototype._add = function (fields, cb) {
    if (!this._current) {
      native.warn('createSelectorQuery', 'a field was asked for before select(), selectAll() or selectViewport(); it is ignored');
      return this;
    }
    var q = { fields: fields };
    for (var k in this._current) q[k] = this._current[k];
    this._queries.push(q);
    this._callbacks.push(typeof cb === 'function' ? cb : null);
    return this;
  };
  SelectorQuery.prototype.boundingClientRect = function (cb) { return this._add(RECT, cb); };
  SelectorQuery.prototype.scrollOffset = function (cb) { return this._add(SCROLL, cb); };
  SelectorQuery.prototype.fields = function (opts, cb) {
    var f = {};
    if (opts && typeof opts === 'object') {
      var keys = ['id', 'dataset', 'rect', 'size', 'scrollOffset', 'node', 'context'];
      for (var i = 0; i < keys.length; i++) if (opts[keys[i]]) f[keys[i]] = true;
      if (Array.isArray(opts.properties)) f.properties = opts.properties.map(String);
      if (Array.isArray(opts.computedStyle)) f.computedStyle = opts.computedStyle.map(String);
    }
    return this._add(f, cb);
  };
  SelectorQuery.prototype.node = function (cb) { return this._add({ node: true }, cb); };
  SelectorQuery.prototype.context = function (cb) { return this._add({ context: true }, cb); };
  SelectorQuery.prototype.exec = function (cb) {
    var callbacks = this._callbacks;
    var queries = this._queries;
    this._queries = [];
    this._callbacks = [];
    function deliver(results) {
      for (var i = 0; i < callbacks.length; i++) {
        var r = results[i] === undefined ? null : results[i];
        results[i] = r = withContexts(r);
        if (callbacks[i]) guard(callbacks[i], null, [r]);
      }
      if (typeof cb === 'function') guard(cb, null, [results]);
    }
    if (!queries.length) { deliver([]); return; }
    hostCall('createSelectorQuery', {
      page: this._scope.page, comp: this._scope.comp, queries: queries,
      success: function (res) { deliver(Array.isArray(res) ? res : []); },
      fail: function (err) {
        native.warn('createSelectorQuery', 'exec failed: ' + (err && err.errorMessage));
        deliver(queries.map(function () { return null; }));
      }
    });
  };

  // my.createIntersectionObserver(options) and a page's or component's
  // this.createIntersectionObserver(options): how much of a target is
  // inside the viewport (or another element, with margins), measured by a
  // selector query when observe() is called. The callback runs when the
  // ratio crosses one of `thresholds` (default [0]: becoming visible or
  // hidden) from `initialRatio` (default 0). This host measures at
  // observe() only: later scrolling and layout changes are not observed.
  function IntersectionObserver(scope, options) {
    var o = options && typeof options === 'object' ? options : {};
    var th = Array.isArray(o.thresholds) && o.thresholds.length ? o.thresholds.map(Number) : [0];
    this._scope = scope;
    this._thresholds = th.filter(function (t) { return t >= 0 && t <= 1; }).sort();
    this._initial = typeof o.initialRatio === 'number' ? o.initialRatio : 0;
    this._all = o.selectAll === true;
    this._relative = null;
    this._live = true;
  }
  IntersectionObserver.prototype.relativeTo = function (selector, margins) {
    this._relative = { selector: String(selector), margins: margins || {} };
    return this;
  };
  IntersectionObserver.prototype.relativeToViewport = function (margins) {
    this._relative = { viewport: true, margins: margins || {} };
    return this;
  };
  IntersectionObserver.prototype.disconnect = function () { this._live = false; };
  function side(r, t) { return t === 0 ? r > 0 : r >= t; }
  function expand(r, m) {
    return { left: r.left - (+m.left || 0), top: r.top - (+m.top || 0), right: r.right + (+m.right || 0), bottom: r.bottom + (+m.bottom || 0) };
  }
  IntersectionObserver.prototype.observe = function (selector, cb) {
    if (typeof cb !== 'function') throw new TypeError('IntersectionObserver.observe expects a callback');
    var self = this, rel = this._relative || { viewport: true, margins: {} };
    var q = new SelectorQuery(this._scope);
    if (rel.viewport) q.selectViewport(); else q.select(rel.selector);
    q.boundingClientRect();
    if (this._all) q.selectAll(String(selector)); else q.select(String(selector));
    q.boundingClientRect();
    q.exec(function (res) {
      if (!self._live || !res[0]) return;
      var relRect = expand(res[0], rel.margins);
      var targets = self._all ? (res[1] || []) : (res[1] ? [res[1]] : []);
      for (var i = 0; i < targets.length; i++) {
        var b = targets[i];
        var left = Math.max(b.left, relRect.left), right = Math.min(b.right, relRect.right);
        var top = Math.max(b.top, relRect.top), bottom = Math.min(b.bottom, relRect.bottom);
        var w = Math.max(0, right - left), h = Math.max(0, bottom - top);
        var area = b.width * b.height;
        var ratio = area > 0 ? Math.min(1, (w * h) / area) : 0;
        var crossed = false;
        for (var t = 0; t < self._thresholds.length; t++) {
          if (side(self._initial, self._thresholds[t]) !== side(ratio, self._thresholds[t])) crossed = true;
        }
        if (!crossed) continue;
        guard(cb, null, [{
          id: b.id, dataset: b.dataset, time: Date.now(), intersectionRatio: ratio,
          intersectionRect: { left: left, top: top, right: left + w, bottom: top + h, width: w, height: h },
          boundingClientRect: b, relativeRect: relRect
        }]);
      }
    });
  };

  // A `context` field answers {tag, id}: the context of that component.
  function withContexts(r) {
    if (Array.isArray(r)) return r.map(withContexts);
    if (r && r.context && typeof r.context === 'object') {
      var make = FACTORY[r.context.tag];
      r.context = make ? make(String(r.context.id || '')) : null;
    }
    return r;
  }

  // Every method of a context is one call under the factory's name:
  // {id, method, args}. A method without callbacks that fails says so as
  // a warning, not an unhandled rejection.
  function contextCall(api, id, method, args, opts) {
    opts = opts && typeof opts === 'object' ? opts : {};
    var success = opts.success, fail = opts.fail, complete = opts.complete;
    hostCall(api, {
      id: id, method: method, args: args,
      success: function (res) {
        if (typeof success === 'function') guard(success, null, [res]);
        if (typeof complete === 'function') guard(complete, null, [res]);
      },
      fail: function (err) {
        if (typeof fail === 'function') guard(fail, null, [err]);
        else native.warn(api, (err && err.errorMessage) || ('my.' + api + '().' + method + ' failed'));
        if (typeof complete === 'function') guard(complete, null, [err]);
      }
    });
  }
  function plainArgs(opts) {
    var out = {};
    if (opts && typeof opts === 'object') {
      for (var k in opts) if (typeof opts[k] !== 'function') out[k] = opts[k];
    }
    return out;
  }
  function placeholder(api, methods) {
    return function (id) {
      var ctx = { id: String(id) };
      methods.forEach(function (m) {
        ctx[m] = function (opts) { contextCall(api, ctx.id, m, plainArgs(opts), opts); };
      });
      return ctx;
    };
  }
  var createMapContext = placeholder('createMapContext', [
    'getCenterLocation', 'moveToLocation', 'translateMarker', 'includePoints', 'getRegion',
    'getScale', 'showsCompass', 'showsScale', 'gestureEnable', 'updateComponents',
    'clearRoute', 'showRoute', 'smoothMoveMarker', 'smoothMovePolyline', 'setCenterOffset',
    'calculateDistance', 'addGroundOverlay', 'removeGroundOverlay', 'updateGroundOverlay',
    'fitAllPoints', 'changeMarkers', 'getMapProperties', 'setMapType', 'updateCustomMapStyle'
  ]);
  var createVideoContext = placeholder('createVideoContext', [
    'play', 'pause', 'stop', 'seek', 'requestFullScreen', 'exitFullScreen', 'mute',
    'playbackRate', 'showStatusBar', 'hideStatusBar', 'loadDanmu'
  ]);
  var createWebViewContext = placeholder('createWebViewContext', ['postMessage']);
  var createLottieContext = placeholder('createLottieContext', [
    'play', 'pause', 'stop', 'setSpeed', 'goToAndPlay', 'goToAndStop', 'playFromMinToMaxFrame',
    'playFromMinToMaxProgress', 'getDuration', 'getLottieInfo', 'fillVariableValue',
    'downgradeToPlaceholder'
  ]);

  // The canvas context records what it is told; draw() sends the actions.
  var CANVAS_METHODS = [
    'setFillStyle', 'setStrokeStyle', 'setLineWidth', 'setLineCap', 'setLineJoin',
    'setMiterLimit', 'setLineDash', 'setFontSize', 'setTextAlign', 'setTextBaseline',
    'setGlobalAlpha', 'setShadow', 'fillRect', 'strokeRect', 'clearRect', 'rect',
    'beginPath', 'closePath', 'moveTo', 'lineTo', 'arc', 'arcTo', 'quadraticCurveTo',
    'bezierCurveTo', 'fill', 'stroke', 'clip', 'fillText', 'strokeText', 'drawImage',
    'save', 'restore', 'translate', 'rotate', 'scale', 'transform', 'setTransform'
  ];
  var CANVAS_PROPS = [
    'fillStyle', 'strokeStyle', 'lineWidth', 'lineCap', 'lineJoin', 'miterLimit', 'font',
    'textAlign', 'textBaseline', 'globalAlpha', 'globalCompositeOperation', 'shadowBlur',
    'shadowColor', 'shadowOffsetX', 'shadowOffsetY', 'lineDashOffset'
  ];
  var MAX_ACTIONS = 10000;
  function gradient(kind, args) {
    var g = { type: kind, args: args, stops: [] };
    g.addColorStop = function (offset, color) { g.stops.push([Number(offset), String(color)]); };
    return g;
  }
  function plain(v) {
    if (v && typeof v === 'object' && Array.isArray(v.stops)) return { type: v.type, args: v.args, stops: v.stops };
    return v;
  }
  function createCanvasContext(id) {
    var ctx = { canvasId: String(id) };
    var actions = [];
    var state = { fontSize: 10 };
    function record(method, args) {
      if (actions.length >= MAX_ACTIONS) {
        throw new RangeError('a canvas context holds at most ' + MAX_ACTIONS + ' actions before draw()');
      }
      actions.push([method, Array.prototype.map.call(args, plain)]);
    }
    CANVAS_METHODS.forEach(function (m) {
      ctx[m] = function () {
        if (m === 'setFontSize') state.fontSize = Number(arguments[0]) || state.fontSize;
        record(m, arguments);
      };
    });
    CANVAS_PROPS.forEach(function (p) {
      var value;
      Object.defineProperty(ctx, p, {
        enumerable: true,
        get: function () { return value; },
        set: function (v) {
          value = v;
          if (p === 'font') { var px = /(\d+(?:\.\d+)?)px/.exec(String(v)); if (px) state.fontSize = Number(px[1]); }
          record('=' + p, [v]);
        }
      });
    });
    ctx.createLinearGradient = function (x0, y0, x1, y1) { return gradient('linear', [x0, y0, x1, y1]); };
    ctx.createCircularGradient = function (x, y, r) { return gradient('circular', [x, y, r]); };
    ctx.createRadialGradient = function (x0, y0, r0, x1, y1, r1) { return gradient('radial', [x0, y0, r0, x1, y1, r1]); };
    ctx.createPattern = function (image, repetition) { return { type: 'pattern', args: [image, repetition], stops: [] }; };
    // No layout engine measures text in the logic layer: an estimate from
    // the font size (a full width per CJK character, 0.55 of it otherwise).
    ctx.measureText = function (text) {
      var s = String(text), w = 0;
      for (var i = 0; i < s.length; i++) w += s.charCodeAt(i) > 0x2e80 ? 1 : 0.55;
      return { width: w * state.fontSize };
    };
    ctx.draw = function (reserve, cb) {
      if (typeof reserve === 'function') { cb = reserve; reserve = false; }
      var sent = actions;
      actions = [];
      contextCall('createCanvasContext', ctx.canvasId, 'draw', { reserve: !!reserve, actions: sent },
        { success: cb, fail: cb });
    };
    ['toTempFilePath', 'getImageData', 'putImageData'].forEach(function (m) {
      ctx[m] = function (opts) { contextCall('createCanvasContext', ctx.canvasId, m, plainArgs(opts), opts); };
    });
    return ctx;
  }

  var FACTORY = {
    canvas: createCanvasContext, map: createMapContext, video: createVideoContext,
    'web-view': createWebViewContext, lottie: createLottieContext
  };
  return {
    createSelectorQuery: function (scope) { return new SelectorQuery(scope); },
    createIntersectionObserver: function (scope, options) { return new IntersectionObserver(scope, options); },
    scopeOf: scopeOf,
    createCanvasContext: createCanvasContext,
    createMapContext: createMapContext,
    createVideoContext: createVideoContext,
    createWebViewContext: createWebViewContext,
    createLottieContext: createLottieContext
  };
})
