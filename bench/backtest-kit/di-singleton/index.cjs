/**
 * Stand-in for the unpublished `di-singleton` package, written from how backtest-kit 19.5.0 uses it:
 * `const X = singleton(class { constructor() { this.dep = inject(...) } })`, then `new X()` both at
 * module load (before the DI container is initialised) and inside `provide(..., () => new X())`.
 * Every `new X()` must return the same shared instance, and the real constructor must run lazily
 * (on first use) because its `inject` calls only resolve once the container is set up.
 */
function singleton(Target) {
  let instance;
  const resolve = () => (instance ??= Reflect.construct(Target, []));
  const shared = new Proxy(Object.create(Target.prototype), {
    get: (_t, key) => Reflect.get(resolve(), key),
    set: (_t, key, value) => Reflect.set(resolve(), key, value),
    has: (_t, key) => Reflect.has(resolve(), key),
    ownKeys: () => Reflect.ownKeys(resolve()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(resolve(), key);
      return d ? { ...d, configurable: true } : undefined;
    },
  });
  function Singleton() {
    return shared;
  }
  Singleton.prototype = Target.prototype;
  return Singleton;
}
module.exports = { singleton, default: { singleton } };
