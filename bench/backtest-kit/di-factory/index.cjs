/**
 * Stand-in for the unpublished `di-factory` package, written from how @backtest-kit/mongo 19.5.0 uses it:
 * `const BaseCRUD = factory(class { constructor(TargetModel) {...} })`, then
 * `class SignalDbService extends BaseCRUD(SignalModel) { constructor() { super(...arguments); ... } }`.
 * Calling the factory with arguments must give a class to extend whose constructor receives those
 * arguments (the subclasses are later built with `new X()` and pass nothing of their own).
 */
function factory(Target) {
  return function bind(...boundArgs) {
    return class extends Target {
      constructor(...rest) {
        super(...boundArgs, ...rest);
      }
    };
  };
}
module.exports = { factory, default: { factory } };
