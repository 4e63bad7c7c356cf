const legacy = require('./legacy');
export default function describe() { return 'mixed:' + legacy.name; }
