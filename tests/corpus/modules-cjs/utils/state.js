module.exports = { tries: 0 };
