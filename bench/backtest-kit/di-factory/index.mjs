// The ES module face of the stand-in: the implementation (and why it is shaped so) is in index.cjs.
import stub from './index.cjs';

export const factory = stub.factory;
export default { factory };
