/** Hostile-policy fixture: a default export that throws when anything is read from it (a Proxy whose get trap throws). */
export default new Proxy(
  {},
  {
    get() {
      throw new Error('proxy get');
    },
  },
);
