/** Hostile-policy fixture: top-level code that throws an object whose toString never returns. */
throw {
  code: 3,
  toString(): string {
    for (;;) {}
  },
};
