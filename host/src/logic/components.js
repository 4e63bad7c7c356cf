// The component runtime (compat.md B2–B10), compiled the first time a
// program calls Component() or renders a custom tag: most launches need
// none of it, and boa compiles what it is given. `kit` is what it uses of
// the prelude's closure; it returns what the prelude calls.
(function (kit) {
  'use strict';
  var native = kit.native, pages = kit.pages, guard = kit.guard, report = kit.report,
    load = kit.load, checkPaths = kit.checkPaths, callbackId = kit.callbackId,
    spliceData = kit.spliceData, parsePath = kit.parsePath, getPath = kit.getPath,
    mixinRegistry = kit.mixins;
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
  // Components (compat.md B2–B10): Component() registers the options of the
  // component file being loaded; the view asks for instances through
  // 'components' tasks (create, props, remove, mounted, updated).
  var compDefs = {};            // base path -> definition
  var compLoaded = {};          // base path -> whether its script was run
  var compRecs = {};            // page id -> { instance id -> record }
  var loadingComponent = null;
  var recOf = typeof WeakMap === 'function' ? new WeakMap() : null;
  var HOOKS = ['onInit', 'deriveDataFromProps', 'didMount', 'didUpdate', 'didUnmount'];
  // `lifetimes` (behind options.lifetimes): created before onInit, attached
  // and ready around didMount, detached before didUnmount; an instance is
  // never moved to another parent here, so `moved` never runs.
  var LIFETIMES = ['created', 'attached', 'ready', 'detached'];
  function flattenMixins(list, out, depth) {
    if (!Array.isArray(list)) return;
    if (depth > 16) throw new RangeError('mixins nested more than 16 deep');
    for (var i = 0; i < list.length; i++) {
      var m = list[i];
      // Mixin() returns an identifier of what it registered.
      if (typeof m === 'string') m = mixinRegistry[m];
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
    // A Mixin()'s definitionFilter sees the definition that uses it, once.
    for (var f = 0; f < all.length; f++) {
      if (typeof all[f].definitionFilter === 'function') guard(all[f].definitionFilter, null, [options, []]);
    }
    var def = { data: [], props: {}, hooks: {}, ref: options.ref, proto: {}, observers: [], pageEvents: {} };
    var flags = options.options || {};
    def.observing = flags.observers === true;
    var lifetimes = flags.lifetimes === true;
    // relations (behind options.relations): path (relative to the
    // component) -> {type, linked, linkChanged, unlinked, target}.
    def.relations = {};
    def.mixins = all;
    // externalClasses (behind options.externalClasses): names the view
    // replaces in the template by the classes the owner passes under them.
    def.classes = [];
    for (var h = 0; h < HOOKS.length; h++) def.hooks[HOOKS[h]] = [];
    for (var l = 0; l < LIFETIMES.length; l++) def.hooks[LIFETIMES[l]] = [];
    for (var i = 0; i < all.length; i++) {
      var m = all[i];
      if (m.data !== undefined) def.data.push(m.data);
      assign(def.props, m.props);
      assign(def.proto, m.methods);
      for (var j = 0; j < HOOKS.length; j++) if (typeof m[HOOKS[j]] === 'function') def.hooks[HOOKS[j]].push(m[HOOKS[j]]);
      if (flags.externalClasses === true && Array.isArray(m.externalClasses)) {
        for (var ec = 0; ec < m.externalClasses.length; ec++) {
          if (typeof m.externalClasses[ec] === 'string' && def.classes.indexOf(m.externalClasses[ec]) < 0) def.classes.push(m.externalClasses[ec]);
        }
      }
      if (lifetimes && m.lifetimes && typeof m.lifetimes === 'object') {
        for (var lt = 0; lt < LIFETIMES.length; lt++) {
          if (typeof m.lifetimes[LIFETIMES[lt]] === 'function') def.hooks[LIFETIMES[lt]].push(m.lifetimes[LIFETIMES[lt]]);
        }
      }
      // pageEvents: the page's hooks and handlers, mixins' first, all run.
      if (m.pageEvents && typeof m.pageEvents === 'object') {
        for (var pe in m.pageEvents) {
          if (!Object.prototype.hasOwnProperty.call(m.pageEvents, pe) || typeof m.pageEvents[pe] !== 'function' || pe === 'onShareAppMessage') continue;
          (def.pageEvents[pe] = def.pageEvents[pe] || []).push(m.pageEvents[pe]);
        }
      }
      if (flags.relations === true && m.relations && typeof m.relations === 'object') {
        var relKeys = Object.keys(m.relations);
        for (var rk = 0; rk < relKeys.length; rk++) {
          var rel = m.relations[relKeys[rk]];
          if (!rel || RELATION_TYPES.indexOf(rel.type) < 0) {
            native.warn('component', 'relation "' + relKeys[rk] + '" needs a type of parent, child, ancestor or descendant; it is ignored');
            continue;
          }
          def.relations[relKeys[rk]] = rel;
        }
      }
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
    if (options.relations !== undefined && flags.relations !== true) {
      native.warn('component', 'relations apply only with options: { relations: true }; these are ignored');
    }
    if (options.externalClasses !== undefined && flags.externalClasses !== true) {
      native.warn('component', 'externalClasses apply only with options: { externalClasses: true }; these are ignored');
    }
    if (options.lifetimes !== undefined && !lifetimes) {
      native.warn('component', 'lifetimes run only with options: { lifetimes: true }; these are ignored');
    }
    // Plain: nothing runs when an instance is made, nor after it renders
    // or goes, so the view makes its instances from the summary and their
    // JS objects wait until something needs them (components.rs Summary).
    def.plain = !def.observers.length && Object.keys(def.pageEvents).length === 0 &&
      Object.keys(def.relations).length === 0;
    for (var dd = 0; def.plain && dd < def.data.length; dd++) if (typeof def.data[dd] === 'function') def.plain = false;
    var hookNames = Object.keys(def.hooks);
    for (var hn = 0; def.plain && hn < hookNames.length; hn++) if (def.hooks[hookNames[hn]].length) def.plain = false;
    def.proto.setData = function (obj, cb) {
      var rec = recOf && recOf.get(this);
      if (!rec || !rec.alive) { native.warn('component', 'setData on a component that is not mounted is ignored'); return; }
      snapshot(rec);
      sendComponentData(rec, obj, cb);
      noteChanged(rec, obj);
      deriveOwn(rec);
    };
    def.proto.$spliceData = function (obj, cb) {
      var rec = recOf && recOf.get(this);
      if (!rec || !rec.alive) { native.warn('component', '$spliceData on a component that is not mounted is ignored'); return; }
      snapshot(rec);
      spliceData(rec.page, rec.id, this.data, obj, cb, function (out, done) { sendComponentData(rec, out, done); });
      noteChanged(rec, obj);
      deriveOwn(rec);
    };
    def.proto.getRelationNodes = function (key) {
      var rec = recOf && recOf.get(this);
      var list = rec && rec.links[key];
      return list ? list.filter(function (r) { return r.alive; }).map(function (r) { return r.inst; }) : [];
    };
    def.proto.hasMixin = function (m) { return all.indexOf(typeof m === 'string' ? mixinRegistry[m] : m) >= 0; };
    // The typings' instance methods that read the tree (lib.component.d.ts,
    // lib.shared.d.ts): what they answer is "affected by ref".
    def.proto.$selectComponent = function (sel) {
      var rec = recOf && recOf.get(this);
      return rec ? select(rec.page, rec.id, sel, false) : undefined;
    };
    def.proto.$selectAllComponents = function (sel) {
      var rec = recOf && recOf.get(this);
      return rec ? select(rec.page, rec.id, sel, true) : [];
    };
    def.proto.selectOwnerComponent = function () {
      var rec = recOf && recOf.get(this);
      if (!rec) return undefined;
      if (!rec.owner) return pages[rec.page];
      return refOf(rec.page, native.instance(rec.page, rec.owner));
    };
    def.proto.selectComposedParentComponent = function () {
      var rec = recOf && recOf.get(this);
      if (!rec) return undefined;
      var parent = native.composedParent(rec.page, rec.id);
      return parent ? refOf(rec.page, parent) : pages[rec.page];
    };
    // Made on first use: most instances never navigate.
    Object.defineProperty(def.proto, 'router', { configurable: true, get: function () {
      var rec = recOf && recOf.get(this);
      if (!rec) return undefined;
      return rec.router || (rec.router = makeRouter(this.is));
    } });
    Object.defineProperty(def.proto, 'pageRouter', { configurable: true, get: function () {
      var rec = recOf && recOf.get(this);
      if (!rec) return undefined;
      return rec.pageRouter || (rec.pageRouter = makeRouter('/' + (pages[rec.page] ? pages[rec.page].route : '')));
    } });
    // A query of this instance's own template (compat.md B13.2).
    def.proto.createSelectorQuery = function () {
      var rec = recOf && recOf.get(this);
      return kit.views().createSelectorQuery(rec ? { page: rec.page, comp: rec.id } : null);
    };
    def.proto.createIntersectionObserver = function (o) {
      var rec = recOf && recOf.get(this);
      return kit.views().createIntersectionObserver(rec ? { page: rec.page, comp: rec.id } : null, o);
    };
    return def;
  }
  var RELATION_TYPES = ['parent', 'child', 'ancestor', 'descendant'];
  var OPPOSITE = { parent: 'child', child: 'parent', ancestor: 'descendant', descendant: 'ancestor' };
  // Whether `rec` is what relation `key` of `from` names: its path, or,
  // with `target`, a Mixin() it uses.
  function relationNames(from, key, rel, rec) {
    if (typeof rel.target === 'string' || (rel.target && typeof rel.target === 'object')) {
      return rec.def.mixins.indexOf(typeof rel.target === 'string' ? mixinRegistry[rel.target] : rel.target) >= 0;
    }
    var path = resolveUrl(from.inst.is, key);
    return path === rec.inst.is || path + '/index' === rec.inst.is;
  }
  // The relation of `rec` that answers `key` of `from` (its opposite type
  // and naming `from`), if it has one.
  function answering(rec, from, rel) {
    var keys = Object.keys(rec.def.relations);
    for (var i = 0; i < keys.length; i++) {
      var r = rec.def.relations[keys[i]];
      if (r.type === OPPOSITE[rel.type] && relationNames(rec, keys[i], r, from)) return keys[i];
    }
    return null;
  }
  // Once `rec` is mounted: each of its parent and ancestor relations is
  // linked to the first instance up the page's tree (where its events
  // bubble: slot content's is the component it is in) that the relation
  // names and that names it back as child or descendant; both sides'
  // linked() run, the other side's first. Children mount first, so their
  // links exist when a parent's didMount runs.
  function linkRelations(rec) {
    var keys = Object.keys(rec.def.relations);
    for (var i = 0; i < keys.length; i++) {
      var rel = rec.def.relations[keys[i]];
      if (rel.type !== 'parent' && rel.type !== 'ancestor') continue;
      var up = native.composedParent(rec.page, rec.id), steps = 0;
      while (up && steps++ < 64) {
        if (up[1]) componentTask(rec.page, up[1]);
        var other = compRecs[rec.page] && compRecs[rec.page][up[0]];
        if (other && relationNames(rec, keys[i], rel, other)) {
          var back = answering(other, rec, rel);
          if (back !== null) link(rec, keys[i], other, back);
          break;
        }
        if (rel.type === 'parent') break;
        up = native.composedParent(rec.page, up[0]);
      }
    }
  }
  function link(rec, key, other, otherKey) {
    (rec.links[key] = rec.links[key] || []).push(other);
    (other.links[otherKey] = other.links[otherKey] || []).push(rec);
    rec.linked.push([key, other, otherKey]);
    var a = other.def.relations[otherKey], b = rec.def.relations[key];
    if (typeof a.linked === 'function') guard(a.linked, other.inst, [rec.inst]);
    if (typeof b.linked === 'function') guard(b.linked, rec.inst, [other.inst]);
  }
  // When `rec` goes: every link it holds, either side, is undone, and
  // both sides' unlinked() run.
  function unlinkAll(rec) {
    var recs = compRecs[rec.page] || {};
    var ids = Object.keys(recs);
    for (var i = 0; i < ids.length; i++) {
      var o = recs[ids[i]];
      for (var j = o.linked.length - 1; j >= 0; j--) if (o.linked[j][1] === rec) unlink(o, o.linked[j]);
    }
    for (var k = rec.linked.length - 1; k >= 0; k--) unlink(rec, rec.linked[k]);
  }
  function unlink(rec, entry) {
    var key = entry[0], other = entry[1], otherKey = entry[2];
    rec.linked.splice(rec.linked.indexOf(entry), 1);
    var mine = rec.links[key], theirs = other.links[otherKey];
    if (mine && mine.indexOf(other) >= 0) mine.splice(mine.indexOf(other), 1);
    if (theirs && theirs.indexOf(rec) >= 0) theirs.splice(theirs.indexOf(rec), 1);
    var a = other.def.relations[otherKey], b = rec.def.relations[key];
    if (typeof a.unlinked === 'function') guard(a.unlinked, other.inst, [rec.inst]);
    if (typeof b.unlinked === 'function') guard(b.unlinked, rec.inst, [other.inst]);
  }
  // [id, task] from the view: the instance's JS object (made first when
  // the view deferred it), or what its component's ref() gives instead.
  function refOf(pageId, found) {
    if (!found) return undefined;
    if (found[1]) componentTask(pageId, found[1]);
    var rec = compRecs[pageId] && compRecs[pageId][found[0]];
    if (!rec) return undefined;
    return typeof rec.def.ref === 'function' ? guard(rec.def.ref, rec.inst, []) : rec.inst;
  }
  function select(pageId, owner, sel, all) {
    var found;
    try { found = native.selectComponents(pageId, owner, String(sel), all); }
    catch (e) { native.warn('component', (all ? '$selectAllComponents' : '$selectComponent') + ': ' + e.message); return all ? [] : undefined; }
    var out = [];
    for (var i = 0; i < found.length; i++) {
      var v = refOf(pageId, found[i]);
      if (v !== undefined) out.push(v);
    }
    return all ? out : out[0];
  }
  // this.router / this.pageRouter: the navigation APIs with relative urls
  // resolved against the component's (or its page's) folder.
  function resolveUrl(base, url) {
    if (typeof url !== 'string' || url.charAt(0) === '/') return url;
    var parts = base.split('/');
    parts.pop();
    var rest = url.split('/');
    for (var i = 0; i < rest.length; i++) {
      if (rest[i] === '..') { if (parts.length > 1) parts.pop(); }
      else if (rest[i] !== '.' && rest[i] !== '') parts.push(rest[i]);
      else if (rest[i] === '' && i === rest.length - 1) parts.push('');
    }
    var path = parts.join('/');
    return path.charAt(0) === '/' ? path : '/' + path;
  }
  function makeRouter(base) {
    var router = {};
    for (var i = 0; i < kit.navigation.length; i++) {
      (function (name) {
        router[name] = function (opts) {
          var o = assign({}, opts);
          if (o.url !== undefined) o.url = resolveUrl(base, o.url);
          return kit.navigate(name, o);
        };
      })(kit.navigation[i]);
    }
    return router;
  }
  var EMPTY_DEF = null;
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
  // The instance's own update runs deriveDataFromProps with its props too,
  // as Alipay's lifecycle has it (compat.md B5.2), once per setData and
  // not again for a setData that deriveDataFromProps itself makes.
  function deriveOwn(rec) {
    if (!rec.mounted || rec.deriving || !rec.def.hooks.deriveDataFromProps.length) return;
    rec.deriving = true;
    try { runHooks(rec, 'deriveDataFromProps', [rec.inst.props]); } finally { rec.deriving = false; }
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
      } else if (owner && owner.props && typeof owner.props[method] === 'function') {
        // The owner's own function prop, passed on (onChange="{{onChange}}").
        props[prop] = owner.props[method];
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
  function dataOf(def, inst) {
    // A deep copy per instance: of each source, merged, mixins first.
    var data = {};
    for (var i = 0; i < def.data.length; i++) {
      var d = def.data[i];
      assign(data, native.clone(typeof d === 'function' ? guard(d, inst, []) : d));
    }
    return data;
  }
  function afterOf(def) {
    // Which lifecycles after a render it has, so the view asks only for those.
    return ((def.hooks.didMount.length || def.hooks.attached.length || def.hooks.ready.length ||
      Object.keys(def.relations).length) ? 1 : 0) |
      ((def.hooks.didUpdate.length || def.observers.length) ? 2 : 0);
  }
  function componentTask(pageId, t) {
    if (t.op === 'define') {
      var dfn = componentDef(t.is, t.script);
      native.componentDef(t.is, {
        plain: dfn.plain, props: viewProps(dfn.props), data: dfn.plain ? dataOf(dfn, null) : {},
        after: afterOf(dfn), classes: dfn.classes
      });
      return;
    }
    var recs = compRecs[pageId] || (compRecs[pageId] = {});
    var rec = recs[t.id];
    switch (t.op) {
      case 'create': {
        var def = componentDef(t.is, t.script);
        var inst = Object.create(def.proto);
        rec = { inst: inst, def: def, page: pageId, id: t.id, owner: t.owner, alive: true, mounted: false, prevProps: null, prevData: null, changed: [], links: {}, linked: [] };
        recs[t.id] = rec;
        if (recOf) recOf.set(inst, rec);
        inst.data = dataOf(def, inst);
        inst.props = makeProps(rec, t);
        inst.is = '/' + t.is;
        inst.$id = t.id;
        inst.$page = pages[pageId];

        native.componentState(pageId, t.id, viewProps(inst.props), inst.data, afterOf(def), def.classes);
        runHooks(rec, 'created', []);
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
        rec.deriving = true;
        try { runHooks(rec, 'deriveDataFromProps', [next]); } finally { rec.deriving = false; }
        rec.inst.props = next;
        native.componentState(pageId, t.id, viewProps(next), undefined);
        return;
      }
      case 'mounted':
        if (!rec) return;
        rec.mounted = true;
        rec.changed = [];
        runHooks(rec, 'attached', []);
        linkRelations(rec);
        runHooks(rec, 'didMount', []);
        runHooks(rec, 'ready', []);
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
        runHooks(rec, 'detached', []);
        unlinkAll(rec);
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
      runHooks(rec, 'detached', []);
      runHooks(rec, 'didUnmount', []);
    }
  }
  // A page hook or handler ran: the mounted instances of that page whose
  // pageEvents name it run theirs, in creation order, `this` the instance.
  function pageEvent(pageId, name, args) {
    var recs = compRecs[pageId];
    if (!recs) return;
    var ids = Object.keys(recs).map(Number).sort(function (a, b) { return a - b; });
    for (var i = 0; i < ids.length; i++) {
      var rec = recs[ids[i]];
      var list = rec && rec.alive && rec.mounted && rec.def.pageEvents[name];
      if (!list) continue;
      for (var j = 0; j < list.length; j++) guard(list[j], rec.inst, args);
    }
  }


  return {
    Component: function (options) {
      if (!loadingComponent) throw new Error('Component() must be called while a component file loads');
      compDefs[loadingComponent] = define(options || {});
    },
    task: componentTask,
    event: function (msg) {
      var r = compRecs[msg.page] && compRecs[msg.page][msg.component];
      if (!r) return;
      var ch = r.inst[msg.handler];
      if (typeof ch !== 'function') {
        native.warn('component', 'handler "' + msg.handler + '" is not a method of ' + r.inst.is + (msg.site ? ' (' + msg.site + ')' : ''));
        return;
      }
      guard(ch, r.inst, [msg.event]);
    },
    unmountPage: unmountPage,
    pageEvent: pageEvent,
    select: select
  };
})
