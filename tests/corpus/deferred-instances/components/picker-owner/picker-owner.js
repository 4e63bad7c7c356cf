// Plain itself, but its child is handed one of its methods: its JS object
// is made before the child's, so the child's onPick calls it.
Component({
  data: { picked: 'none' },
  methods: { picked(v) { this.setData({ picked: v }); } }
});
