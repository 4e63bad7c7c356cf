// A Mixin() by identifier, with a definitionFilter and pageEvents of its own.
var base = Mixin({
  data: { from: 'mixin' },
  definitionFilter: function (def) {
    def.methods = def.methods || {};
    def.methods.filtered = function () { return 'filtered'; };
  },
  pageEvents: { onShow: function () { this.props.onLog('mixin.onShow'); } }
});
Component({
  mixins: [base],
  options: { lifetimes: true },
  lifetimes: {
    created: function () { this.props.onLog('created'); },
    attached: function () { this.props.onLog('attached'); },
    ready: function () { this.props.onLog('ready:' + this.filtered() + ':' + this.hasMixin(base) + ':' + this.data.from); },
    detached: function () { this.props.onLog('detached'); }
  },
  didMount: function () { this.props.onLog('didMount'); },
  // Runs at creation and before each update, the instance's own setData
  // included; its own setData does not run it again.
  deriveDataFromProps: function () {
    this.derives = (this.derives || 0) + 1;
    this.setData({ derived: this.derives });
  },
  methods: {
    bump: function () {
      this.setData({ bumped: true });
      this.props.onLog('derives:' + this.derives + '/' + this.data.derived);
    }
  },
  didUnmount: function () { this.props.onLog('didUnmount'); },
  pageEvents: {
    onShow: function () { this.props.onLog('onShow'); },
    onHide: function () { this.props.onLog('onHide'); },
    onShareAppMessage: function () { this.props.onLog('share'); }
  }
});
