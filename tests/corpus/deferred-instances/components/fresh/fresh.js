// data() runs once per instance: not plain, each instance made at once.
let made = 0;
Component({ ref() { return { fresh: this.data.made }; }, props: { n: 0 }, data() { made += 1; return { made: made }; } });
