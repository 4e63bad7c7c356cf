// relations without the option: ignored, with a warning.
Component({ relations: { '../ul/ul': { type: 'parent' } } });
