Component({
  props: { value: '', onPick: null },
  methods: {
    go() {
      const owner = this.selectOwnerComponent();
      const parent = this.selectComposedParentComponent();
      this.props.onPick(this.props.value + ':' + owner.is + ':' + (owner === parent));
    },
    away() { this.router.navigateTo({ url: '../../pages/two/two?from=router' }); }
  }
});
