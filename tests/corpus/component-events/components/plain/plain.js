// lifetimes and externalClasses without their options: ignored, with a warning.
Component({
  externalClasses: ['x-class'],
  lifetimes: { created: function () { this.props.onLog('plain.created'); } }
});
