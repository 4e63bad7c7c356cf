App({ log: [] });
