// Every list item anywhere inside, by the mixin they use (relation target).
const item = require('../../mixins/item');
Component({
  options: { relations: true },
  data: { n: 0 },
  relations: {
    items: { type: 'descendant', target: item, linked() { this.setData({ n: this.getRelationNodes('items').length }); }, unlinked() { this.setData({ n: this.getRelationNodes('items').length }); } }
  }
});
