// Test peers take their ports the same way the local host's embedded Azurite does.
export { freePort } from '../../cli/freePort.ts';
