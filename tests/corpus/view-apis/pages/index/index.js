Page({
  data: { flood: '', taro: { cn: [{ v: '' }] }, touches: '', events: '', one: '', all: '', rows: '', vp: '', missing: '', comp: '', ctx: '', bad: '', inner: '', drawn: '', map: '', nocanvas: '', promise: '' },
  // Taro's runtime writes paths as `root.cn.[0].v`.
  onReady() {
    this.query();
    this.setData({ 'taro.cn.[0].v': 'dotted index' });
    // Alipay's logic layer has a navigator whose userAgent a framework may redefine (Taro does).
    var ua = navigator.userAgent;
    Object.defineProperty(navigator, 'userAgent', { configurable: true, get: function () { return ua + ' taro'; } });
    this.setData({ ua: /AlipayClient/.test(navigator.userAgent) && /taro$/.test(navigator.userAgent) ? 'redefined' : navigator.userAgent });
  },
  query() {
    var perCall = [];
    my.createSelectorQuery()
      .select('#list > .row').boundingClientRect(function (r) { perCall.push(r.dataset.kind); })
      .selectAll('.list .row').fields({ id: true, dataset: true, size: true })
      .selectAll('.row').boundingClientRect()
      .selectViewport().boundingClientRect()
      .select('#nothing').boundingClientRect()
      .select('#pic').context()
      .select('.inner').fields({ id: true, properties: ['class'] })
      .exec((res) => {
        this.setData({
          one: res[0].dataset.userId + ',' + res[0].left + ',' + res[0].width + ',' + perCall.join(''),
          all: res[1].map(function (r) { return r.dataset.kind + (r.dataset.userId || '') + ':' + r.width; }).join(','),
          rows: String(res[2].length),
          vp: res[3].width + 'x' + res[3].height,
          missing: String(res[4]),
          ctx: typeof res[5].context.draw,
          inner: (/^inner-\d+$/.test(res[6].id) ? 'inner-N' : res[6].id) + '/' + res[6]['class']
        });
      });
    my.createSelectorQuery().select('view:hover').boundingClientRect().exec((r) => this.setData({ bad: String(r[0]) }));
    // More queries than one exec may hold: the first 256 answer, the rest are null.
    var flood = my.createSelectorQuery();
    for (var i = 0; i < 300; i++) flood.select('#list').boundingClientRect();
    flood.exec((r) => this.setData({ flood: r.length + ':' + (r[255] && r[255].id) + ':' + r[256] + ':' + r[299] }));
  },
  touched(e) {
    var t = (e.touches[0] || e.changedTouches[0]);
    this.setData({ touches: (this.data.touches ? this.data.touches + ';' : '') + e.type + '@' + t.clientX + ',' + t.clientY + '/' + e.currentTarget.id + '<' + e.target.id });
  },
  animated(e) { this.note(e.type + ':' + (e.detail.animationName || e.detail.propertyName)); },
  fielded(e) { this.note(e.type + ':' + e.detail.value); },
  scrolled(e) { this.note(e.type + ':' + e.detail.scrollTop); },
  note(s) { this.setData({ events: (this.data.events ? this.data.events + ';' : '') + s }); },
  onMeasured(text) { this.setData({ comp: text }); },
  draw() {
    var c = my.createCanvasContext('pic');
    c.setFillStyle('#f00');
    c.fillRect(0, 0, 10, 10);
    var g = c.createLinearGradient(0, 0, 10, 0);
    g.addColorStop(0, 'red');
    c.fillStyle = g;
    c.fillText('hi', 1, 2);
    c.draw(false, () => this.setData({ drawn: 'drawn:' + Math.round(c.measureText('ab').width) }));
    my.createCanvasContext('nope').draw(false, (r) => this.setData({ nocanvas: r.error + ':' + r.errorMessage }));
    my.createMapContext('m').moveToLocation({ fail: (e) => this.setData({ map: e.error + ':' + e.errorMessage }) });
    my.createVideoContext('v').play();
    // Headless rects are zero: a target that starts as seen (initialRatio 1)
    // is reported at its measured ratio, 0; one that starts unseen is not.
    my.createIntersectionObserver({ initialRatio: 1 }).relativeToViewport({ bottom: 10 })
      .observe('#one', (r) => this.setData({ io: r.intersectionRatio + ':' + r.id + ':' + r.relativeRect.bottom }));
    my.createIntersectionObserver().relativeToViewport().observe('#one', () => this.setData({ io: 'wrong' }));
    var l = my.createLottieContext('anim');
    l.getDuration({ fail: (e) => this.setData({ lottie: typeof l.play + ':' + e.error + ':' + e.errorMessage }) });
    // canIUse knows the factories, and `this` is not needed to call them.
    var q = my.createSelectorQuery;
    q().select('#one').boundingClientRect().exec((r) => this.setData({ promise: String(my.canIUse('createSelectorQuery')) + ',' + r[0].id }));
  }
});
