import { describe, expect, it } from 'vitest';
import { isNetworkOrTimeoutError } from './errors';

/** Node's own socket errors, as the driver can pass them on when the server goes away mid-write. */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isNetworkOrTimeoutError', () => {
  it('takes a socket ended by the server (EPIPE without the code in its text) as an outage', () => {
    expect(isNetworkOrTimeoutError(socketError('EPIPE', 'This socket has been ended by the other party'))).toBe(true);
    expect(isNetworkOrTimeoutError(new Error('This socket has been ended by the other party'))).toBe(true);
    expect(isNetworkOrTimeoutError(socketError('ECONNRESET', 'read ECONNRESET'))).toBe(true);
    expect(isNetworkOrTimeoutError(socketError('ERR_SOCKET_CLOSED', 'Socket is closed'))).toBe(true);
  });

  it('does not take a refusal by MongoDB for an outage', () => {
    expect(isNetworkOrTimeoutError(Object.assign(new Error('E11000 duplicate key error'), { code: 11000 }))).toBe(false);
    expect(isNetworkOrTimeoutError(Object.assign(new Error('Document failed validation'), { code: 121 }))).toBe(false);
    expect(isNetworkOrTimeoutError(new Error('boom'))).toBe(false);
  });
});
