function pad(n) { return n < 10 ? '0' + n : '' + n; }
function today() { var d = new Date(0); return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1); }
function excerpt(s, n) { return s.length > n ? s.slice(0, n) + '…' : s; }
module.exports = { pad: pad, today: today, excerpt: excerpt };
