// Passes its own function prop on (onPick="{{onDone}}") and names one of
// its methods through an expression, as Ant Design Mini's FormPicker does.
Component({
  props: { onDone: null },
  methods: { format(v) { return 'fmt(' + v + ')'; } }
});
