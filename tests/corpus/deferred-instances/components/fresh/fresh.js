// data() runs once per instance: not plain, each instance made at once.
let made = 0;
Component({ props: { n: 0 }, data() { made += 1; return { made: made }; } });
