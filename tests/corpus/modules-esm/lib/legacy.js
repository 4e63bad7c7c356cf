module.exports = { legacy: true, name: 'cjs' };
