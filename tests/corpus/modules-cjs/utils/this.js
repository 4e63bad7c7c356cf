exports.same = this === module.exports && this === exports;
exports.file = __filename + ' in ' + __dirname;
