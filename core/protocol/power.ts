/**
 * What a fence path reads from a device. Only an explicit off state is `off`: a device that
 * cannot be found, an empty or unreadable answer, or a transitional state is `unknown`
 * (DESIGN.md invariant 8). Shared by the drivers, the engine and the relay agent's wire answer.
 */
export type PowerState = 'on' | 'off' | 'unknown';
