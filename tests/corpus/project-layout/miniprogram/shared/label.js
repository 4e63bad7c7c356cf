exports.label = (s) => 'shop ' + s;
