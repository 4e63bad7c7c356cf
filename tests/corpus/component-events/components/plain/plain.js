// lifetimes without options.lifetimes: ignored, with a warning.
Component({
  lifetimes: { created: function () { this.props.onLog('plain.created'); } }
});
