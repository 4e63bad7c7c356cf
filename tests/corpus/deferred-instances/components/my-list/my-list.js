Component({ props: { items: [] } });
